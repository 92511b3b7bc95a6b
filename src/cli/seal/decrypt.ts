/** `seal decrypt FILE|-`: plaintext to stdout only, or to a file when -o is given explicitly. */
import type { Command } from "commander";
import { decryptSopsFile, type SopsFormat } from "../../crypto/sops/index.js";
import { processIo, readInput, runCommand, say, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { inputFormat } from "./encrypt.js";
import { loadIdentities } from "./keys.js";
import { addInputType, addKeyOption } from "./options.js";

export interface DecryptOptions {
  /** Input kind; the lead adds "sealed" (SealedSecrets) next to "sops". */
  format: "sops";
  key: string[];
  output?: string;
  inputType?: SopsFormat;
  filename?: string;
}

export async function decryptCommand(file: string, opts: DecryptOptions, io: Io): Promise<number> {
  switch (opts.format) {
    case "sops":
      return decryptSops(file, opts, io);
  }
}

async function decryptSops(file: string, opts: DecryptOptions, io: Io): Promise<number> {
  const subject = file === "-" ? (opts.filename ?? "stdin.yaml") : file;
  const format = inputFormat(file, opts);
  const bytes = readInput(file, io);
  const { identities } = loadIdentities(opts.key, io);
  const out = await decryptSopsFile(bytes, { format, file: subject, identities });
  for (const w of out.warnings) say(io, `seal decrypt: warning: ${w}`);
  if (opts.output) {
    // Plaintext on disk only because it was asked for explicitly; owner-only permissions.
    writeFileAtomic(opts.output, out.plaintext.revealBytes(), io, 0o600);
    say(io, `decrypted ${subject} → ${opts.output} (mode 0600) with key ${out.keyId}`);
  } else {
    await writeStdout(io, out.plaintext.revealBytes());
  }
  return 0;
}

export function registerDecrypt(program: Command): void {
  const cmd = program
    .command("decrypt")
    .description("decrypt a SOPS file to stdout (verifying its MAC); never to disk unless -o is given")
    .argument("<file>", "file to decrypt, or - for stdin")
    .option("-o, --output <file>", "write the plaintext to this file (mode 0600) instead of stdout")
    .option("--filename <name>", "name to use for stdin (decides the format)");
  addKeyOption(cmd);
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
Keys: every --key FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the sops default
key file (~/.config/sops/age/keys.txt) are tried. Any tampering fails with a MAC/authentication error.

Example:
  $ seal decrypt --key ~/.config/sops/age/keys.txt secret.enc.yaml | kubectl apply -f -`,
  );
  cmd.action(async (file: string, flags: Omit<DecryptOptions, "format">) => {
    await runCommand("decrypt", processIo, () => decryptCommand(file, { ...flags, format: "sops" }, processIo));
  });
}
