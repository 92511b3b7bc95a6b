/** Worker-side helpers for the shared Git server: make a bare repo, commit and push files with the git CLI. */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
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

const execFileAsync = promisify(execFile);

function gitEnv(cwd: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    HOME: cwd,
    GIT_AUTHOR_NAME: "Test Author",
    GIT_AUTHOR_EMAIL: "author@example.test",
    GIT_COMMITTER_NAME: "Test Committer",
    GIT_COMMITTER_EMAIL: "committer@example.test",
  };
}

function authArgs(): string[] {
  const { username, password } = testEnvState().git;
  return ["-c", `http.extraHeader=Authorization: Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`];
}

/** Local-only git commands (no network), synchronous for brevity. */
function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: gitEnv(cwd), stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * Git commands that talk to the test server must be asynchronous: when jest runs in band, the server
 * lives in the same process, and a synchronous child would block the event loop that serves it.
 */
async function gitRemote(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", [...authArgs(), ...args], { cwd, encoding: "utf8", env: gitEnv(cwd) });
  return stdout.trim();
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
export async function commitFiles(repo: TestRepo, files: Record<string, string | Buffer | null>,
  { message = "update", branch = "main" }: CommitOptions = {}): Promise<string> {
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
  await gitRemote(repo.workdir, ["push", "--quiet", "--force", "origin", `HEAD:refs/heads/${branch}`]);
  return git(repo.workdir, ["rev-parse", "HEAD"]);
}

/** Runs any git command in the working clone (with the server's credentials), e.g. to tag, reset or push. */
export function gitIn(repo: TestRepo, args: string[]): Promise<string> {
  return gitRemote(repo.workdir, args);
}
