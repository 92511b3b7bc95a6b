/** Worker-side helpers for the shared Git server: make a bare repo, commit and push files with the git CLI. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { testEnvState } from "./state.js";

export interface TestRepo {
  name: string;
  /** Clone URL without credentials. */
  url: string;
  username: string;
  password: string;
  /** Local working clone the helpers commit from. */
  workdir: string;
}

function git(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
  const { username, password } = testEnvState().git;
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return execFileSync("git", ["-c", `http.extraHeader=Authorization: Basic ${auth}`, ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: cwd,
      GIT_AUTHOR_NAME: "Test Author",
      GIT_AUTHOR_EMAIL: "author@example.test",
      GIT_COMMITTER_NAME: "Test Committer",
      GIT_COMMITTER_EMAIL: "committer@example.test",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** A new empty bare repo on the server (default branch `main`) and a working clone of it. */
export function createRepo(prefix = "repo"): TestRepo {
  const { url, username, password, root } = testEnvState().git;
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  git(root, ["init", "--quiet", "--bare", "--initial-branch=main", `${name}.git`]);
  const workdir = mkdtempSync(path.join(os.tmpdir(), `sealsync-work-${name}-`));
  git(workdir, ["init", "--quiet", "--initial-branch=main"]);
  git(workdir, ["remote", "add", "origin", `${url}/${name}.git`]);
  return { name, url: `${url}/${name}.git`, username, password, workdir };
}

export interface CommitOptions {
  message?: string;
  branch?: string;
}

/**
 * Writes `files` (path → content; `null` deletes) into the working clone, commits them and pushes.
 * Returns the new commit's SHA.
 */
export function commitFiles(repo: TestRepo, files: Record<string, string | Buffer | null>,
  { message = "update", branch = "main" }: CommitOptions = {}): string {
  const current = git(repo.workdir, ["branch", "--show-current"]);
  if (current !== branch) {
    const exists = git(repo.workdir, ["branch", "--list", branch]) !== "";
    git(repo.workdir, exists ? ["checkout", "--quiet", branch] : ["checkout", "--quiet", "-b", branch]);
  }
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(repo.workdir, file);
    if (content === null) {
      rmSync(full, { force: true });
    } else {
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  git(repo.workdir, ["add", "--all"]);
  git(repo.workdir, ["commit", "--quiet", "--allow-empty", "-m", message]);
  git(repo.workdir, ["push", "--quiet", "--force", "origin", `HEAD:refs/heads/${branch}`]);
  return git(repo.workdir, ["rev-parse", "HEAD"]);
}

/** Runs any git command in the working clone (with the server's credentials), e.g. to tag or reset. */
export function gitIn(repo: TestRepo, args: string[]): string {
  return git(repo.workdir, args);
}
