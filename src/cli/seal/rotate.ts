/** `seal rotate FILE`: a new data key, every value re-encrypted, same recipients and settings. */
import type { Command } from "commander";
import { rotateSopsFile, type SopsFormat } from "../../crypto/sops/index.js";
import { processIo, readInput, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { inputFormat } from "./encrypt.js";
import { loadIdentities } from "../../crypto/keyring/key-files.js";
import { addInputType, addKeyOption } from "./options.js";

export interface RotateCommandOptions {
  /** Input kind; "sealed" may be added by the lead. */
  format: "sops";
  key: string[];
  inPlace?: boolean;
  output?: string;
  inputType?: SopsFormat;
}

export async function rotateCommand(file: string, opts: RotateCommandOptions, io: Io): Promise<number> {
  switch (opts.format) {
    case "sops":
      return rotateSops(file, opts, io);
  }
}

async function rotateSops(file: string, opts: RotateCommandOptions, io: Io): Promise<number> {
  if (file === "-" && opts.inPlace) throw new UsageError("-i cannot be used with stdin");
  if (opts.inPlace && opts.output) throw new UsageError("use either -i or -o, not both");
  const format = inputFormat(file, opts);
  const bytes = readInput(file, io);
  const { identities } = loadIdentities(opts.key, io);
  const out = await rotateSopsFile(bytes, { format, file, identities });
  if (opts.inPlace || opts.output) {
    const target = opts.inPlace ? file : opts.output!;
    writeFileAtomic(target, out, io);
    say(io, `rotated the data key of ${file} → ${target}`);
  } else {
    await writeStdout(io, out);
  }
  return 0;
}

export function registerRotate(program: Command): void {
  const cmd = program
    .command("rotate")
    .description("re-encrypt every value of a SOPS file under a new data key (stdout unless -i/-o)")
    .argument("<file>", "encrypted file, or - for stdin")
    .option("-i, --in-place", "replace the file")
    .option("-o, --output <file>", "write the result here instead of stdout");
  addKeyOption(cmd);
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
Use after someone lost access (with updatekeys --rm-age first) or on a schedule. Needs a key that can
decrypt the file; the recipients and selectors stay as they are.

Example:
  $ seal rotate -i k8s/secret.enc.yaml`,
  );
  cmd.action(async (file: string, flags: Omit<RotateCommandOptions, "format">) => {
    await runCommand("rotate", processIo, () => rotateCommand(file, { ...flags, format: "sops" }, processIo));
  });
}
