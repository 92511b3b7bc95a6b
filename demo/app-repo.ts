/**
 * The demo's Git repository: manifests-example/ pushed to a bare repo on the local Git server, and a
 * working clone the demo (or the user, with --keep) commits and pushes from with the plain git CLI.
 *
 * Every git command is asynchronous: the Git server lives in this very process, and a synchronous
 * child would block the event loop that has to serve it.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { GitServerInfo } from "../test/env/git-server.js";

const execFileAsync = promisify(execFile);

export class AppRepo {
  private constructor(
    /** Clone URL, without credentials. */
    readonly url: string,
    /** The working clone (credentials in its local config, for the demo's throwaway server only). */
    readonly workdir: string,
  ) {}

  /** A bare repo `name` on the server, and a working clone holding a copy of `source`, committed and pushed. */
  static async create(git: GitServerInfo, name: string, source: string, workdir: string, message: string): Promise<{ repo: AppRepo; sha: string }> {
    await run(git.root, ["init", "--quiet", "--bare", "--initial-branch=main", `${name}.git`]);
    const repo = new AppRepo(`${git.url}/${name}.git`, workdir);
    mkdirSync(workdir, { recursive: true });
    cpSync(source, workdir, { recursive: true });
    await repo.git(["init", "--quiet", "--initial-branch=main"]);
    await repo.git(["config", "http.extraHeader", `Authorization: Basic ${Buffer.from(`${git.username}:${git.password}`).toString("base64")}`]);
    await repo.git(["remote", "add", "origin", repo.url]);
    return { repo, sha: await repo.commitAndPush(message) };
  }

  git(args: string[]): Promise<string> {
    return run(this.workdir, args);
  }

  /** Writes `files` (relative path → content; null removes), commits everything and pushes; returns the new commit. */
  async change(files: Record<string, string | null>, message: string): Promise<string> {
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.workdir, file);
      if (content === null) rmSync(full);
      else writeFileSync(full, content);
    }
    return this.commitAndPush(message);
  }

  private async commitAndPush(message: string): Promise<string> {
    await this.git(["add", "--all"]);
    await this.git(["commit", "--quiet", "-m", message]);
    await this.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
    return this.git(["rev-parse", "HEAD"]);
  }
}

/** git in `cwd`, with an identity of its own and none of the user's global settings (signing, hooks). */
async function run(cwd: string, args: string[]): Promise<string> {
  const env = {
    PATH: process.env.PATH,
    HOME: cwd,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Demo Developer",
    GIT_AUTHOR_EMAIL: "developer@example.com",
    GIT_COMMITTER_NAME: "Demo Developer",
    GIT_COMMITTER_EMAIL: "developer@example.com",
  };
  try {
    return (await execFileAsync("git", args, { cwd, env, encoding: "utf8" })).stdout.trim();
  } catch (err) {
    throw new Error(`git ${args[0]} in ${cwd} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err });
  }
}
