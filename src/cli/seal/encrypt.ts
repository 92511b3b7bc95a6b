/** `seal encrypt FILE|-`: a plaintext file in, a SOPS file (age) out; stdout unless -i or -o. */
import type { Command } from "commander";
import { encryptSopsFile, formatForPath, isEncryptedFile, type SopsFormat } from "../../crypto/sops/index.js";
import { processIo, readInput, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { addInputType, addRecipientOptions } from "./options.js";
import { planEncryption, type RecipientFlags } from "./recipients.js";

export interface EncryptOptions extends RecipientFlags {
  /** Output format; the lead adds "sealed" here (a SealedSecret) next to "sops". */
  format: "sops";
  inPlace?: boolean;
  output?: string;
  inputType?: SopsFormat;
  filename?: string;
}

export async function encryptCommand(file: string, opts: EncryptOptions, io: Io): Promise<number> {
  switch (opts.format) {
    case "sops":
      return encryptSops(file, opts, io);
  }
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
    .description("encrypt a YAML/JSON/dotenv/binary file with SOPS for age recipients (stdout unless -i/-o)")
    .argument("<file>", "file to encrypt, or - for stdin")
    .option("-i, --in-place", "replace the file with its encrypted form")
    .option("-o, --output <file>", "write the encrypted file here instead of stdout")
    .option("--filename <name>", "name to use for stdin (format and .sops.yaml path_regex matching)");
  addRecipientOptions(cmd);
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
Recipients come from --age, else SOPS_AGE_RECIPIENTS, else the first creation_rules entry of the
nearest .sops.yaml whose path_regex matches the file. A kind: Secret file encrypts only data and
stringData unless a selector says otherwise. An already encrypted file is refused.

Examples:
  $ seal encrypt --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p secret.yaml > secret.enc.yaml
  $ seal encrypt -i k8s/secret.yaml            # recipients from .sops.yaml`,
  );
  cmd.action(async (file: string, flags: Omit<EncryptOptions, "format">) => {
    await runCommand("encrypt", processIo, () => encryptCommand(file, { ...flags, format: "sops" }, processIo));
  });
}

