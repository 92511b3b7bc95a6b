/**
 * `seal check PATH…`: the pre-commit guard. One line per finding and exit 1 for a plaintext Secret, a
 * half-encrypted file, a garbled ENC value or (with a key) a MAC mismatch, a SealedSecret whose sealed
 * data cannot be read (or, with its RSA key, does not unseal); a summary and exit 0 otherwise.
 * `--staged` checks what is staged in Git; `--install-hook` installs that as the pre-commit hook.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { findingText, type Finding } from "../../crypto/sops/index.js";
import { checkGeneratorSources, KUSTOMIZATION_NAMES } from "../../manifests/generator-sources.js";
import { checkOne, FORMATS, type CheckKeys, type Source, type Tally } from "../../manifests/secret-scan.js";
import { processIo, runCommand, say, UsageError, writeStdout, type Io } from "./common.js";
import { ageKeyFiles, loadIdentities, loadRsaKeys } from "../../crypto/keyring/key-files.js";
import { addKeyOption } from "./options.js";

export interface CheckOptions {
  key: string[];
  /** The namespace sealsync applies SealedSecrets without metadata.namespace to. */
  namespace?: string;
  staged?: boolean;
  installHook?: boolean;
  force?: boolean;
}

const SKIP_DIRS = new Set([".git", "node_modules", ".cache"]);
function walk(p: string, io: Io, out: Source[], explicit: boolean): void {
  const abs = path.resolve(io.cwd, p);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UsageError(`${p}: no such file or directory`);
  }
  if (st.isDirectory()) {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.isDirectory() && SKIP_DIRS.has(e.name)) continue;
      if (e.isDirectory() || e.isFile()) walk(path.join(p, e.name), io, out, false);
    }
  } else if (st.isFile() && (explicit || FORMATS[path.extname(p).toLowerCase()] || KUSTOMIZATION_NAMES.has(path.basename(p)))) {
    out.push({ name: p, read: () => readFileSync(abs) });
  }
}

function git(args: string[], io: Io): Buffer {
  const res = spawnSync("git", args, { cwd: io.cwd, maxBuffer: 256 * 1024 * 1024 });
  if (res.error) throw new UsageError(`git is needed for this (${res.error.message})`);
  if (res.status !== 0) throw new UsageError(`git ${args[0]} failed: ${res.stderr.toString().trim()}`);
  return res.stdout;
}

function stagedSources(io: Io): Source[] {
  return git(["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"], io)
    .toString("utf8")
    .split("\0")
    .filter((n) => n !== "" && (FORMATS[path.extname(n).toLowerCase()] || KUSTOMIZATION_NAMES.has(path.basename(n))))
    // The staged blob, not the working tree: that is what the commit will contain.
    .map((name) => ({ name, read: () => git(["show", `:${name}`], io) }));
}

const HOOK_MARKER = "# installed by `seal check --install-hook`";

function installHook(opts: CheckOptions, io: Io): number {
  const hooks = path.resolve(io.cwd, git(["rev-parse", "--git-path", "hooks"], io).toString("utf8").trim());
  const file = path.join(hooks, "pre-commit");
  if (existsSync(file) && !readFileSync(file, "utf8").includes(HOOK_MARKER) && !opts.force) {
    throw new UsageError(`${file} exists and was not written by seal; add \`seal check --staged\` to it yourself, or use --force to replace it`);
  }
  // Run seal the way the project installs it, found when the hook runs (not this node or this script's
  // path, which break when node is upgraded or the package moves): the repository's node_modules, then PATH.
  const body = `#!/bin/sh
${HOOK_MARKER}
# Refuses a commit that stages a plaintext Kubernetes Secret or a broken SOPS file.
if [ -x ./node_modules/.bin/seal ]; then exec ./node_modules/.bin/seal check --staged; fi
if command -v seal >/dev/null 2>&1; then exec seal check --staged; fi
echo "pre-commit: seal not found (npm install it in this repository, or put it on PATH); commit refused" >&2
exit 1
`;
  mkdirSync(hooks, { recursive: true });
  writeFileSync(file, body, { mode: 0o755 });
  chmodSync(file, 0o755);
  say(io, `installed ${file}: commits now run \`seal check --staged\``);
  return 0;
}

/** Plaintext secretGenerator sources of the kustomizations checked (from the index with --staged). */
function generatorFindings(sources: Source[], staged: boolean, io: Io): Finding[] {
  const byPath = new Map(sources.map((s) => [path.normalize(s.name), s]));
  const read = (file: string): string | undefined => {
    try {
      const known = byPath.get(path.normalize(file));
      if (known) return known.read().toString("utf8");
      return (staged ? git(["show", `:${file}`], io) : readFileSync(path.resolve(io.cwd, file))).toString("utf8");
    } catch {
      return undefined;
    }
  };
  return sources.filter((s) => KUSTOMIZATION_NAMES.has(path.basename(s.name)))
    .flatMap((s) => checkGeneratorSources(s.name, s.read().toString("utf8"), read));
}

export async function checkCommand(paths: string[], opts: CheckOptions, io: Io): Promise<number> {
  if (opts.installHook) return installHook(opts, io);
  if (opts.staged && paths.length > 0) throw new UsageError("--staged checks the Git index; do not give paths with it");
  const sources: Source[] = [];
  if (opts.staged) sources.push(...stagedSources(io));
  else {
    if (paths.length === 0) throw new UsageError("give files or directories to check (or --staged)");
    for (const p of paths) walk(p, io, sources, true);
  }
  // Overlapping paths (k8s and .) name some files twice; check each once.
  const unique = [...new Map(sources.map((s) => [path.resolve(io.cwd, s.name), s])).values()];
  const keys: CheckKeys = { identities: undefined, rsa: loadRsaKeys(opts.key, io), namespace: opts.namespace };
  try {
    keys.identities = loadIdentities(opts.key, io).identities;
  } catch (err) {
    // Without a key the structure is still checked; only an explicit age key file must work.
    if (ageKeyFiles(opts.key, io).length > 0 || !(err instanceof UsageError)) throw err;
  }
  const tally: Tally = { files: 0, encrypted: 0, verified: 0, sealed: 0, unsealed: 0, warnings: [] };
  const findings: Finding[] = [];
  for (const s of unique) findings.push(...(await checkOne(s, keys, tally, io.cwd)));
  findings.push(...generatorFindings(unique, opts.staged === true, io));
  for (const w of tally.warnings) say(io, `warning: ${w}`);
  if (findings.length > 0) await writeStdout(io, findings.map((f) => `${findingText(f)}\n`).join(""));
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const macNote = (tally.encrypted > 0 ? `; MAC verified for ${tally.verified} of ${tally.encrypted} encrypted` : "") +
    (tally.sealed > 0 && keys.rsa.length > 0 ? `; unsealed ${tally.unsealed} of ${plural(tally.sealed, "SealedSecret")}` : "");
  if (findings.length > 0) {
    say(io, `seal check: ${plural(findings.length, "problem")} in ${plural(tally.files, "file")} checked${macNote}`);
    return 1;
  }
  say(io, `seal check: ${plural(tally.files, "file")} checked, no plaintext secrets${macNote}`);
  return 0;
}

export function registerCheck(program: Command): void {
  const cmd = program
    .command("check")
    .description("fail on plaintext Secrets and broken SOPS files (the pre-commit guard)")
    .argument("[paths...]", "files or directories (YAML, JSON, .env; .git and node_modules are skipped)")
    .option("--staged", "check the files staged in Git (their staged content)")
    .option("--install-hook", "install a Git pre-commit hook that runs `seal check --staged`")
    .option("--force", "with --install-hook: replace an existing pre-commit hook")
    .option("-n, --namespace <ns>", "the namespace sealsync applies SealedSecrets without metadata.namespace to (with an RSA --key)");
  addKeyOption(cmd, "both");
  cmd.addHelpText(
    "after",
    `
Findings: a kind: Secret (or stringData/data) in plaintext, a document without sops metadata in an
encrypted file, a value left unencrypted, a garbled ENC[…] value, and — when a key can open the file —
a MAC mismatch. SealedSecrets: an item that is not standard base64 or is truncated, template data
(which sealsync does not render), and — given the cluster's RSA key (--key tls.key) — an item that
does not unseal (wrong key, moved or renamed, wrong scope annotation, altered).
Exit 1 with one line per finding on stdout; exit 0 with a summary on stderr.

Examples:
  $ seal check k8s/
  $ seal check --key tls.key k8s/
  $ seal check --install-hook`,
  );
  cmd.action(async (paths: string[], flags: CheckOptions) => {
    await runCommand("check", processIo, () => checkCommand(paths, flags, processIo));
  });
}
