/**
 * `seal diff A B` and `seal diff --git BASE..HEAD [PATH…]`: which encrypted files, keys and SealedSecret
 * items were added, removed or changed — without a key; with `--key`, which values really changed. Values
 * are never printed.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { diffEncryptedFile, hasChanges, isReviewable, type DiffKeys, type EncryptedFileDiff } from "../../manifests/encrypted-diff.js";
import { changedFiles, git, repoRoot, resolveRevision, showFile } from "../../source/local-git.js";
import { processIo, readInput, runCommand, UsageError, writeStdout, type Io } from "./common.js";
import { renderDiff, type DiffOutput } from "./diff-output.js";
import { loadIdentities, loadRsaKeys } from "../../crypto/keyring/key-files.js";
import { addKeyOption } from "./options.js";

export interface DiffOptions {
  git?: string;
  key: string[];
  output: DiffOutput;
  exitCode?: boolean;
  namespace?: string;
}

/** `A..B`, `A...B` (from their merge base, as a PR shows), or `A` alone (A against the working tree, as git diff A). */
function parseRange(range: string, cwd: string): { base: string; head: string | undefined } {
  const three = range.indexOf("...");
  const two = range.indexOf("..");
  let base = range;
  let head: string | undefined;
  if (three >= 0) {
    base = range.slice(0, three) || "HEAD";
    head = range.slice(three + 3) || "HEAD";
    resolveRevision(cwd, base);
    resolveRevision(cwd, head);
    base = git(["merge-base", base, head], cwd).toString("utf8").trim();
  } else if (two >= 0) {
    base = range.slice(0, two) || "HEAD";
    head = range.slice(two + 2) || "HEAD";
  }
  return { base: resolveRevision(cwd, base), head: head === undefined ? undefined : resolveRevision(cwd, head) };
}

function diffKeys(opts: DiffOptions, io: Io): DiffKeys {
  if (opts.key.length === 0) return {};
  const rsa = loadRsaKeys(opts.key, io);
  let identities;
  try {
    identities = loadIdentities(opts.key, io).identities;
  } catch (err) {
    // Only RSA keys given: SealedSecrets are compared opened, SOPS files by ciphertext.
    if (!(err instanceof UsageError) || rsa.length === 0) throw err;
  }
  return { identities, rsa, namespace: opts.namespace };
}

async function diffGit(range: string, paths: string[], keys: DiffKeys, io: Io): Promise<EncryptedFileDiff[]> {
  const { base, head } = parseRange(range, io.cwd);
  const root = repoRoot(io.cwd);
  const out: EncryptedFileDiff[] = [];
  for (const f of changedFiles(io.cwd, base, head, paths)) {
    if (!isReviewable(f.path)) continue;
    const before = f.status === "added" ? undefined : showFile(root, base, f.path);
    const after = f.status === "removed" ? undefined : head === undefined ? readFileSync(path.join(root, f.path)) : showFile(root, head, f.path);
    const d = await diffEncryptedFile(f.path, before, after, keys);
    if (d && hasChanges(d)) out.push(d);
  }
  return out;
}

export async function diffCommand(args: string[], opts: DiffOptions, io: Io): Promise<number> {
  const keys = diffKeys(opts, io);
  let diffs: EncryptedFileDiff[];
  let header: string;
  if (opts.git !== undefined) {
    diffs = await diffGit(opts.git, args, keys, io);
    header = `Encrypted changes in ${opts.git}`;
  } else {
    if (args.length !== 2) throw new UsageError("give two files (seal diff OLD NEW), or --git BASE..HEAD [PATH…]");
    const [a, b] = args as [string, string];
    const name = b === "-" ? a : b;
    if (!isReviewable(name)) throw new UsageError(`${name}: seal diff reads YAML, JSON and .env files`);
    const exists = (f: string) => f === "-" || existsSync(path.resolve(io.cwd, f));
    if (!exists(a) && !exists(b)) throw new UsageError(`${a} and ${b}: no such files`);
    const d = await diffEncryptedFile(name, exists(a) ? readInput(a, io) : undefined, exists(b) ? readInput(b, io) : undefined, keys);
    if (d === undefined) throw new UsageError(`${a}, ${b}: neither is a SOPS file nor holds a SealedSecret`);
    diffs = hasChanges(d) ? [d] : [];
    header = `Encrypted changes in ${name}`;
  }
  await writeStdout(io, renderDiff(diffs, opts.output, header));
  if (diffs.some((d) => d.kind === "error")) return 1;
  return opts.exitCode && diffs.length > 0 ? 1 : 0;
}

export function registerDiff(program: Command): void {
  const cmd = program
    .command("diff")
    .description("what changed in encrypted files (keys, SealedSecret items), without a key; never prints values")
    .argument("[files...]", "OLD NEW, or with --git the paths to limit the comparison to")
    .option("--git <range>", "compare Git revisions: BASE..HEAD, BASE...HEAD (from the merge base, as a pull request), or BASE against the working tree")
    .addOption(new Option("-o, --output <format>", "text, markdown (a PR comment) or json").choices(["text", "markdown", "json"]).default("text"))
    .option("--exit-code", "exit 1 when something changed, 0 when nothing did (as git diff --exit-code)")
    .option("-n, --namespace <ns>", "with an RSA --key: the namespace of SealedSecrets without metadata.namespace");
  addKeyOption(cmd, "both");
  cmd.addHelpText(
    "after",
    `
Without a key: SOPS keeps a value's ciphertext when the value is unchanged, so a changed ENC[…] is a
changed value. A file whose data key changed (seal rotate, sops rotate) is reported as re-encrypted:
its values cannot be compared without a key. With --key (age for SOPS, tls.key for SealedSecrets),
values are decrypted in memory and compared; they are never printed.

Examples:
  $ seal diff old/db.enc.yaml k8s/db.enc.yaml
  $ seal diff --git origin/main...HEAD k8s/ -o markdown      # for a PR comment
  $ seal diff --git HEAD --key ~/.config/sops/age/keys.txt --exit-code   # uncommitted changes`,
  );
  cmd.action(async (files: string[], flags: DiffOptions) => {
    await runCommand("diff", processIo, () => diffCommand(files, flags, processIo));
  });
}
