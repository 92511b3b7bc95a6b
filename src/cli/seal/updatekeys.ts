/**
 * `seal updatekeys FILE`: the same data key re-wrapped for a new recipient set, values untouched. Without
 * --add-age/--rm-age the set comes from the file's .sops.yaml creation rule (as `sops updatekeys`).
 */
import path from "node:path";
import type { Command } from "commander";
import { parseAgeRecipient } from "../../crypto/age.js";
import { ageRecipients, loadEncrypted, updateSopsFileKeys, type SopsFormat } from "../../crypto/sops/index.js";
import { collectList, processIo, readInput, runCommand, say, UsageError, writeFileAtomic, type Io } from "./common.js";
import { inputFormat } from "./encrypt.js";
import { loadIdentities } from "../../crypto/keyring/key-files.js";
import { addInputType, addKeyOption } from "./options.js";
import { planEncryption } from "../../crypto/sops/recipients.js";
import { updateKeysAll } from "./updatekeys-all.js";

export interface UpdateKeysCommandOptions {
  /** Input kind; "sealed" may be added by the lead. */
  format: "sops";
  key: string[];
  addAge: string[];
  rmAge: string[];
  config?: string;
  inputType?: SopsFormat;
  all?: boolean;
  dryRun?: boolean;
  rotate?: boolean;
}

export async function updateKeysCommand(file: string | undefined, opts: UpdateKeysCommandOptions, io: Io): Promise<number> {
  if (opts.all) {
    if (opts.addAge.length > 0 || opts.rmAge.length > 0) throw new UsageError("--all follows the .sops.yaml rules; change the rules instead of using --add-age/--rm-age");
    return updateKeysAll(file ?? ".", opts, io);
  }
  if (file === undefined) throw new UsageError("give a file, or --all [DIR] for every SOPS file of a repository");
  if (opts.dryRun || opts.rotate) throw new UsageError("--dry-run and --rotate go with --all");
  switch (opts.format) {
    case "sops":
      return updateKeysSops(file, opts, io);
  }
}

async function updateKeysSops(file: string, opts: UpdateKeysCommandOptions, io: Io): Promise<number> {
  if (file === "-") throw new UsageError("updatekeys rewrites the file in place; give a file, not stdin");
  const format = inputFormat(file, opts);
  const bytes = readInput(file, io);
  let add = opts.addAge.map(parseAgeRecipient);
  let remove = opts.rmAge.map(parseAgeRecipient);
  if (add.length === 0 && remove.length === 0) {
    // Sync with .sops.yaml, as `sops updatekeys` does.
    const plan = planEncryption({ config: opts.config }, path.resolve(io.cwd, file), io);
    if (plan.keyGroups.length !== 1) throw new UsageError("the matching creation rule uses key_groups; seal updatekeys supports one group — use sops");
    const target = plan.keyGroups[0]!;
    const current = ageRecipients(loadEncrypted(bytes, format, { file }).metadata);
    add = target.filter((r) => !current.includes(r));
    remove = current.filter((r) => !target.includes(r));
  }
  if (add.length === 0 && remove.length === 0) {
    say(io, `${file}: recipients already up to date`);
    return 0;
  }
  const { identities } = loadIdentities(opts.key, io);
  const res = await updateSopsFileKeys(bytes, { format, file, identities, add, remove });
  if (res.added.length === 0 && res.removed.length === 0) {
    say(io, `${file}: recipients already up to date`);
    return 0;
  }
  writeFileAtomic(file, res.bytes, io);
  for (const r of res.added) say(io, `${file}: added ${r}`);
  for (const r of res.removed) say(io, `${file}: removed ${r}`);
  if (res.removed.length > 0) say(io, `note: removed recipients may still hold the old data key; run \`seal rotate -i ${file}\` to replace it`);
  return 0;
}

export function registerUpdateKeys(program: Command): void {
  const cmd = program
    .command("updatekeys")
    .description("re-wrap a SOPS file's data key for a new set of age recipients (in place; values untouched)")
    .argument("[file]", "encrypted file; with --all, the folder to walk (default .)")
    .option("--all", "every SOPS file under the folder (the files Git sees), each synced with its .sops.yaml rule")
    .option("--dry-run", "with --all: list what would change, write nothing")
    .option("--rotate", "with --all: also give a new data key to files a recipient was removed from (offboarding)")
    .option("--add-age <recipient>", "add an age recipient (repeatable, or comma-separated)", collectList, [] as string[])
    .option("--rm-age <recipient>", "remove an age recipient (repeatable, or comma-separated)", collectList, [] as string[])
    .option("--config <file>", "with neither flag: sync recipients with this .sops.yaml instead of the nearest one");
  addKeyOption(cmd);
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
Without --add-age/--rm-age the recipients are synced with the file's .sops.yaml creation rule.
Needs a key that can decrypt the file (to unwrap the data key).

With --all, every SOPS file under the folder is synced with its rule; files no held key opens are
listed at the end (those only a retired recipient can open, apart), and the exit code is then 1.

Examples:
  $ seal updatekeys --all --dry-run .
  $ seal updatekeys --all --rotate .                # after removing someone from .sops.yaml
  $ seal updatekeys k8s/secret.enc.yaml --add-age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p`,
  );
  cmd.action(async (file: string | undefined, flags: Omit<UpdateKeysCommandOptions, "format">) => {
    await runCommand("updatekeys", processIo, () => updateKeysCommand(file, { ...flags, format: "sops" }, processIo));
  });
}
