/**
 * The developer's own Git checkout, read through the `git` command (what `seal` runs next to): files changed
 * between two revisions, a file's content at a revision, and the files Git would consider (tracked, plus
 * untracked ones not ignored by .gitignore). Nothing here writes to the repository.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, readdirSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../config/usage-error.js";

export function git(args: string[], cwd: string): Buffer {
  const res = spawnSync("git", args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (res.error) throw new UsageError(`git is needed for this (${res.error.message})`);
  if (res.status !== 0) throw new UsageError(`git ${args[0]} failed: ${res.stderr.toString().trim().split("\n")[0]}`);
  return res.stdout;
}

export interface ChangedFile {
  /** Path relative to the repository root. */
  path: string;
  status: "added" | "removed" | "modified";
}

/**
 * Files that differ between two revisions, or between a revision and the working tree when `head` is
 * undefined (renames as a removal and an addition), limited to `paths`.
 */
export function changedFiles(cwd: string, base: string, head: string | undefined, paths: readonly string[]): ChangedFile[] {
  const revs = head === undefined ? [base] : [base, head];
  const out = git(["diff", "--name-status", "--no-renames", "-z", ...revs, "--", ...paths], cwd).toString("utf8").split("\0");
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < out.length; i += 2) {
    const code = out[i]![0];
    const status = code === "A" ? "added" : code === "D" ? "removed" : "modified";
    files.push({ path: out[i + 1]!, status });
  }
  return files;
}

/** A file's bytes at a revision (`git show REV:PATH`, path relative to the repository root). */
export function showFile(cwd: string, rev: string, file: string): Buffer {
  return git(["show", `${rev}:${file}`], cwd);
}

export function repoRoot(cwd: string): string {
  return git(["rev-parse", "--show-toplevel"], cwd).toString("utf8").trim();
}

/** Checks a revision exists, so a typo is one clear line rather than a diff of nothing. */
export function resolveRevision(cwd: string, rev: string): string {
  const res = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd });
  if (res.error) throw new UsageError(`git is needed for this (${res.error.message})`);
  if (res.status !== 0) throw new UsageError(`${rev}: not a revision in this repository`);
  return res.stdout.toString("utf8").trim();
}

/**
 * Files under `dir` as Git sees them: tracked and untracked-but-not-ignored, relative to `dir`.
 * Undefined when `dir` is not inside a Git work tree (the caller then walks the folder itself).
 */
export function gitVisibleFiles(dir: string): string[] | undefined {
  const inside = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir });
  if (inside.error || inside.status !== 0) return undefined;
  return git(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"], dir)
    .toString("utf8")
    .split("\0")
    .filter((f) => f !== "");
}

const SKIP_DIRS = new Set([".git", "node_modules"]);

/**
 * Every file under `dir` a repository-wide command should consider, relative to `dir`, sorted: the files
 * Git sees (so .gitignore is honoured) inside a work tree, else every file below `dir` except .git and
 * node_modules. Symlinks are never followed.
 */
export function repoFiles(dir: string): string[] {
  const fromGit = gitVisibleFiles(dir);
  if (fromGit) return fromGit.filter((f) => lstatSafe(path.join(dir, f))?.isFile()).sort();
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk("");
  return out.sort();
}

function lstatSafe(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
