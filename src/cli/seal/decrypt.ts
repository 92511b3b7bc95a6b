/**
 * `seal decrypt FILE|-`: a SOPS file or SealedSecrets (told apart by content) to plaintext, on stdout only,
 * or in a file when -o is given explicitly.
 */
import type { Command } from "commander";
import { decryptSopsFile, type SopsFormat } from "../../crypto/sops/index.js";
import { processIo, readInput, runCommand, say, writePrivateFileAtomic, writeStdout, type Io } from "./common.js";
import { decryptSealed, holdsSealedSecret } from "./decrypt-sealed.js";
import { inputFormat } from "./encrypt.js";
import { loadIdentities } from "../../crypto/keyring/key-files.js";
import { addInputType, addKeyOption } from "./options.js";

export interface DecryptOptions {
  /** Input kind; undefined tells by content (SealedSecrets, else SOPS). */
  format?: "sops" | "sealed";
  key: string[];
  output?: string;
  inputType?: SopsFormat;
  filename?: string;
  /** SealedSecrets: the namespace of those without metadata.namespace. */
  namespace?: string;
}

export async function decryptCommand(file: string, opts: DecryptOptions, io: Io): Promise<number> {
  const subject = file === "-" ? (opts.filename ?? "stdin.yaml") : file;
  const bytes = readInput(file, io);
  const format = opts.format ?? (holdsSealedSecret(bytes, subject) ? "sealed" : "sops");
  switch (format) {
    case "sops":
      return decryptSops(file, subject, bytes, opts, io);
    case "sealed":
      return decryptSealed(subject, bytes, opts, io);
  }
}

async function decryptSops(file: string, subject: string, bytes: Buffer, opts: DecryptOptions, io: Io): Promise<number> {
  const format = inputFormat(file, opts);
  const { identities } = loadIdentities(opts.key, io);
  const out = await decryptSopsFile(bytes, { format, file: subject, identities });
  for (const w of out.warnings) say(io, `seal decrypt: warning: ${w}`);
  if (opts.output) {
    // Plaintext on disk only because it was asked for explicitly; owner-only permissions.
    writePrivateFileAtomic(opts.output, out.plaintext.revealBytes(), io);
    say(io, `decrypted ${subject} → ${opts.output} (mode 0600) with key ${out.keyId}`);
  } else {
    await writeStdout(io, out.plaintext.revealBytes());
  }
  return 0;
}

export function registerDecrypt(program: Command): void {
  const cmd = program
    .command("decrypt")
    .description("decrypt a SOPS file (verifying its MAC) or unseal SealedSecrets, to stdout; never to disk unless -o is given")
    .argument("<file>", "file to decrypt, or - for stdin")
    .option("-o, --output <file>", "write the plaintext to this file (mode 0600) instead of stdout")
    .option("--filename <name>", "name to use for stdin (decides the format)")
    .option("-n, --namespace <ns>", "SealedSecrets: the namespace of those without metadata.namespace");
  addKeyOption(cmd, "both");
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
SOPS files: every age key of --key FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the sops
default key file (~/.config/sops/age/keys.txt) is tried. Any tampering fails with a MAC/authentication error.
SealedSecrets (recognised by content): every RSA key of --key (tls.key, or a YAML backup of the
controller's key Secrets) is tried; each becomes the Secret it describes, as the controller makes it.

Examples:
  $ seal decrypt --key ~/.config/sops/age/keys.txt secret.enc.yaml | kubectl apply -f -
  $ seal decrypt --key tls.key secret.sealed.yaml`,
  );
  cmd.action(async (file: string, flags: DecryptOptions) => {
    await runCommand("decrypt", processIo, () => decryptCommand(file, flags, processIo));
  });
}
