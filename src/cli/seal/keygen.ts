/**
 * `seal keygen`: a new age identity in a 0600 key file (age-keygen's format), the public recipient on
 * stdout; or, with --secret, a Kubernetes Secret manifest holding the identity for the cluster. With
 * --rsa, a SealedSecrets key pair instead (keygen-rsa.ts).
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { stringify } from "yaml";
import { formatAgeKeyFile, generateAgeIdentity, type AgeIdentity } from "../../crypto/age.js";
import { KEY_LABEL_ACTIVE, SEALSYNC_KEY_LABEL } from "../../crypto/sealed/key-secret.js";
import { processIo, runCommand, say, UsageError, writeStdout, type Io } from "./common.js";
import { keygenRsa } from "./keygen-rsa.js";
import { defaultKeyFile } from "../../crypto/keyring/key-files.js";
import { rejectFlags } from "./options.js";

export interface KeygenOptions {
  /** age identity (SOPS) or RSA key pair (SealedSecrets). */
  kind: "age" | "rsa";
  output?: string;
  secret?: string;
  namespace?: string;
  postQuantum?: boolean;
  /** rsa: modulus size (default 4096, as the controller). */
  bits?: number;
  /** rsa: where tls.key and tls.crt go (default: the current directory). */
  outDir?: string;
}

export async function keygenCommand(opts: KeygenOptions, io: Io): Promise<number> {
  if ((opts.secret === undefined) !== (opts.namespace === undefined)) {
    throw new UsageError("--secret NAME and --namespace NS go together");
  }
  switch (opts.kind) {
    case "age":
      rejectFlags(opts, "age identities (add --rsa for a SealedSecrets key pair)", { bits: "--bits", outDir: "--out-dir" });
      return keygenAge(opts, io);
    case "rsa":
      rejectFlags(opts, "--rsa", { postQuantum: "--pq", output: "-o (use --out-dir DIR)" });
      return keygenRsa(opts, io);
  }
}

/** The key Secret sealsync's keyring reads: `<name>.agekey` in data, labelled as an active key. */
export function ageKeySecretManifest(identity: AgeIdentity, name: string, namespace: string, now = new Date()): string {
  const manifest = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace,
      labels: { [SEALSYNC_KEY_LABEL]: KEY_LABEL_ACTIVE },
      annotations: { "sealsync.dev/age-recipient": identity.recipient },
    },
    type: "Opaque",
    data: { "age.agekey": Buffer.from(formatAgeKeyFile(identity, now), "utf8").toString("base64") },
  };
  return stringify(manifest, { lineWidth: 0 });
}

async function keygenAge(opts: KeygenOptions, io: Io): Promise<number> {
  const identity = await generateAgeIdentity({ postQuantum: opts.postQuantum });
  if (opts.secret !== undefined) {
    if (opts.output) throw new UsageError("--secret writes the manifest to stdout; -o is for key files");
    await writeStdout(io, ageKeySecretManifest(identity, opts.secret, opts.namespace!));
    say(io, `public key: ${identity.recipient}`);
    say(io, "apply it with `kubectl apply -f -` and do NOT commit it: it holds the private key");
    return 0;
  }
  const explicit = opts.output !== undefined;
  const file = explicit ? path.resolve(io.cwd, opts.output!) : defaultKeyFile(io.env);
  const text = formatAgeKeyFile(identity);
  if (existsSync(file)) {
    if (explicit) throw new UsageError(`${opts.output}: already exists; choose another file (it may hold keys you still need)`);
    // The default key file collects identities, as with several age-keygen runs appended to it.
    appendFileSync(file, text, { mode: 0o600 });
    say(io, `added a new identity to ${file}`);
  } else {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
    say(io, `wrote a new identity to ${file} (mode 0600)`);
  }
  await writeStdout(io, `${identity.recipient}\n`);
  return 0;
}

function parseBits(value: string): number {
  const bits = Number(value);
  if (!/^\d+$/.test(value) || bits < 2048 || bits > 16384 || bits % 8 !== 0) {
    throw new InvalidArgumentError("use 2048, 3072 or 4096 (the controller's default).");
  }
  return bits;
}

export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("create an age identity (key file mode 0600) and print its public recipient; or, with --rsa, a SealedSecrets key pair")
    .option("-o, --output <file>", "key file to create (default: the sops default key file, appended to)")
    .option("--secret <name>", "print a Kubernetes Secret manifest holding the new key instead")
    .option("-n, --namespace <ns>", "namespace of the --secret manifest (the sidecar's)")
    .option("--pq", "post-quantum hybrid identity (age1pq1…; needs sops ≥ 3.12 / age ≥ 1.3 to read)")
    .option("--rsa", "an RSA key pair for SealedSecrets: tls.key (mode 0600) and tls.crt, in the controller's format")
    .option("--bits <n>", "--rsa: key size (default 4096)", parseBits)
    .option("--out-dir <dir>", "--rsa: directory for tls.key and tls.crt (default: the current directory)")
    .addHelpText(
      "after",
      `
The recipient (age1…) goes to stdout: put it in .sops.yaml or pass it to --age. The identity stays in
the key file; with --secret it is only printed as a manifest to apply to the cluster (never commit it).

With --rsa, tls.crt is what you seal with (seal encrypt --format sealed --cert tls.crt, or kubeseal
--cert tls.crt); tls.key belongs in the cluster. --secret prints both as a key Secret labelled for
sealsync and for the Sealed Secrets controller.

Examples:
  $ seal keygen -o dev.agekey
  $ seal keygen --secret sealsync-age-key -n my-app | kubectl apply -f -
  $ seal keygen --rsa --out-dir keys
  $ seal keygen --rsa --secret sealsync-key-2026-01 -n my-app | kubectl apply -f -`,
    )
    .action(async (flags: { output?: string; secret?: string; namespace?: string; pq?: boolean; rsa?: boolean; bits?: number; outDir?: string }) => {
      await runCommand("keygen", processIo, () =>
        keygenCommand(
          {
            kind: flags.rsa ? "rsa" : "age",
            output: flags.output,
            secret: flags.secret,
            namespace: flags.namespace,
            postQuantum: flags.pq,
            bits: flags.bits,
            outDir: flags.outDir,
          },
          processIo,
        ),
      );
    });
}
