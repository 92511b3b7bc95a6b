/**
 * `seal encrypt FILE|-`: a plaintext file in, a SOPS file (age) out; or, with `--format sealed`, Secret
 * manifests in and SealedSecrets out (encrypt-sealed.ts). Stdout unless -i or -o.
 */
import type { Command } from "commander";
import { encryptSopsFile, formatForPath, isEncryptedFile, type SopsFormat } from "../../crypto/sops/index.js";
import { processIo, readInput, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { encryptSealed, type SealedEncryptOptions } from "./encrypt-sealed.js";
import { addFormatOption, addInputType, addRecipientOptions, addSealedOptions, impliedFormat, rejectFlags, type OutputFormat } from "./options.js";
import { planEncryption, type RecipientFlags } from "../../crypto/sops/recipients.js";

export interface EncryptOptions extends RecipientFlags, SealedEncryptOptions {
  format: OutputFormat;
  inPlace?: boolean;
  output?: string;
  inputType?: SopsFormat;
  filename?: string;
}

export async function encryptCommand(file: string, opts: EncryptOptions, io: Io): Promise<number> {
  switch (opts.format) {
    case "sops":
      rejectFlags(opts, "--format sops (age)", { cert: "--cert", scope: "--scope", raw: "--raw", name: "--name", namespace: "--namespace", allowEmptyData: "--allow-empty-data" });
      return encryptSops(file, opts, io);
    case "sealed":
      rejectSopsFlags(opts);
      return encryptSealed(file, opts, io);
  }
}

/** SOPS-only flags make no sense for a SealedSecret; say so rather than ignore them. */
export function rejectSopsFlags(opts: RecipientFlags): void {
  rejectFlags(opts, "--format sealed", {
    age: "--age", config: "--config", encryptedRegex: "--encrypted-regex", unencryptedRegex: "--unencrypted-regex",
    encryptedSuffix: "--encrypted-suffix", unencryptedSuffix: "--unencrypted-suffix", encryptedCommentRegex: "--encrypted-comment-regex",
    unencryptedCommentRegex: "--unencrypted-comment-regex", macOnlyEncrypted: "--mac-only-encrypted",
  });
}

/** The path that names the input: the file itself, or --filename for stdin. */
function subjectPath(file: string, opts: { filename?: string }): string {
  if (file !== "-") return file;
  return opts.filename ?? "stdin.yaml";
}

export function inputFormat(file: string, opts: { inputType?: SopsFormat; filename?: string }): SopsFormat {
  if (opts.inputType) return opts.inputType;
  return formatForPath(subjectPath(file, opts));
}

async function encryptSops(file: string, opts: EncryptOptions, io: Io): Promise<number> {
  if (opts.inPlace && file === "-") throw new UsageError("-i cannot be used with stdin; use -o FILE or redirect stdout");
  if (opts.inPlace && opts.output) throw new UsageError("use either -i or -o, not both");
  const subject = subjectPath(file, opts);
  const format = inputFormat(file, opts);
  const bytes = readInput(file, io);
  if (isEncryptedFile(bytes, format, subject)) {
    throw new UsageError(`${subject}: already encrypted (it has sops metadata); use \`seal rotate\` or \`seal updatekeys\` instead`);
  }
  const plan = planEncryption(opts, subject, io);
  const out = await encryptSopsFile(bytes, {
    format,
    file: subject,
    keyGroups: plan.keyGroups,
    shamirThreshold: plan.shamirThreshold,
    selectors: plan.selectors,
    macOnlyEncrypted: plan.macOnlyEncrypted,
  });
  const recipients = plan.keyGroups.flat().length;
  if (opts.inPlace || opts.output) {
    const target = opts.inPlace ? file : opts.output!;
    writeFileAtomic(target, out, io);
    say(io, `encrypted ${subject} → ${target} for ${recipients} recipient${recipients === 1 ? "" : "s"} (from ${plan.source})`);
  } else {
    await writeStdout(io, out);
  }
  return 0;
}

export function registerEncrypt(program: Command): void {
  const cmd = program
    .command("encrypt")
    .description("encrypt a file with SOPS for age recipients, or seal Secrets as SealedSecrets (stdout unless -i/-o)")
    .argument("<file>", "file to encrypt, or - for stdin")
    .option("-i, --in-place", "replace the file with its encrypted form")
    .option("-o, --output <file>", "write the encrypted file here instead of stdout")
    .option("--filename <name>", "name to use for stdin (format and .sops.yaml path_regex matching)");
  addFormatOption(cmd);
  addRecipientOptions(cmd);
  addSealedOptions(cmd);
  cmd
    .option("--raw", "sealed: seal one value (the file's bytes, or stdin) and print the item, like kubeseal --raw")
    .option("--name <name>", "sealed: the Secret name to seal for (with --raw; or renames the Secret)")
    .option("-n, --namespace <ns>", "sealed: the namespace to seal for (with --raw, or for a Secret without one)")
    .option("--allow-empty-data", "sealed: seal a Secret that has no data");
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
SOPS: recipients come from --age, else SOPS_AGE_RECIPIENTS, else the first creation_rules entry of
the nearest .sops.yaml whose path_regex matches the file. A kind: Secret file encrypts only data and
stringData unless a selector says otherwise. An already encrypted file is refused.

Sealed: every kind: Secret of the file becomes a SealedSecret for the certificate's key (other
documents pass through); only the public certificate is needed, and an expired one is refused. The
scope comes from --scope, else the Secret's sealedsecrets.bitnami.com/* annotations (strict if none).

Examples:
  $ seal encrypt --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p secret.yaml > secret.enc.yaml
  $ seal encrypt -i k8s/secret.yaml            # recipients from .sops.yaml
  $ seal encrypt --format sealed --cert tls.crt secret.yaml > secret.sealed.yaml
  $ seal encrypt --format sealed --cert http://127.0.0.1:9090/v1/cert.pem -i k8s/secret.yaml
  $ printf %s "$TOKEN" | seal encrypt --raw --cert tls.crt --namespace app --name api -`,
  );
  cmd.action(async (file: string, flags: Omit<EncryptOptions, "format"> & { format?: OutputFormat }) => {
    await runCommand("encrypt", processIo, () => encryptCommand(file, { ...flags, format: impliedFormat(flags) }, processIo));
  });
}

