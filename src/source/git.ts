/**
 * The Git source: fetches one ref over HTTPS with isomorphic-git into a bare object store under the
 * data directory (ciphertext only — there is no worktree, ever), and reads the manifests of that commit
 * from git objects in memory. This module has no push, commit or write-tree call.
 */
import * as git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import fs from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { checkSize, DEFAULT_MAX_FILE_BYTES, isManifestPath, isSkippedDir, normaliseSubPath } from "./file-rules.js";
import { readGitCredentials, redactCredentials, type GitCredentialOptions } from "./credentials.js";
import { SourceError, type Revision, type Source } from "./revision.js";

export interface GitSourceOptions extends GitCredentialOptions {
  url: string;
  /** Branch, tag, or full commit SHA; default: the remote's HEAD. */
  ref?: string;
  /** Subdirectory holding the manifests; default the repository root. */
  path?: string;
  /** Where the bare object store lives (one folder per URL). */
  dataDir: string;
  maxFileBytes?: number;
}

const SHA_RE = /^[0-9a-f]{40}$/;

export class GitSource implements Source {
  readonly description: string;
  private readonly gitdir: string;
  private readonly subPath: string;
  private readonly cache = {};

  constructor(private readonly opts: GitSourceOptions) {
    const url = new URL(opts.url);
    if (url.username || url.password) {
      throw new SourceError("--repo must not contain credentials: use --git-username and --git-password-file");
    }
    this.description = url.toString();
    this.subPath = normaliseSubPath(opts.path ?? ".");
    const id = createHash("sha256").update(url.toString()).digest("hex").slice(0, 16);
    this.gitdir = path.join(opts.dataDir, "git", `${id}.git`);
  }

  async fetch(): Promise<Revision> {
    const ref = this.opts.ref;
    const creds = readGitCredentials(this.opts);
    await this.ensureRepo();
    let sha: string;
    try {
      const result = await git.fetch({
        fs, http, gitdir: this.gitdir, cache: this.cache,
        remote: "origin",
        // A SHA may not be a branch tip: fetch all branches (full depth) and look it up.
        ...(ref && SHA_RE.test(ref)
          ? { singleBranch: false }
          : { singleBranch: true, depth: 1, remoteRef: ref ?? "HEAD", ref: ref ?? "HEAD" }),
        tags: false,
        prune: false,
        onAuth: () => (creds ? { username: creds.username, password: creds.password } : { cancel: true }),
        onAuthFailure: () => ({ cancel: true }),
      });
      if (ref && SHA_RE.test(ref)) sha = ref;
      else if (result.fetchHead) sha = result.fetchHead;
      else throw new SourceError(`${this.description}: ref ${ref ?? "HEAD"} not found on the remote`);
    } catch (err) {
      throw this.explain(err, creds);
    }
    return this.readCommit(sha, ref ?? "HEAD");
  }

  private async ensureRepo(): Promise<void> {
    if (fs.existsSync(path.join(this.gitdir, "config"))) return;
    fs.mkdirSync(this.gitdir, { recursive: true });
    await git.init({ fs, gitdir: this.gitdir, bare: true });
    await git.addRemote({ fs, gitdir: this.gitdir, remote: "origin", url: this.opts.url });
  }

  private async readCommit(sha: string, ref: string): Promise<Revision> {
    let commit: git.CommitObject;
    try {
      commit = (await git.readCommit({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache })).commit;
    } catch (err) {
      throw new SourceError(`${this.description}: commit ${sha} is not on any branch of the remote`, { cause: err });
    }
    const files = new Map<string, Uint8Array>();
    const warnings: string[] = [];
    const limit = this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const prefix = this.subPath ? `${this.subPath}/` : "";
    let sawPath = this.subPath === "";
    // walk() reads each tree once; readBlob by path in a loop re-resolves trees and is ~20x slower.
    await git.walk({
      fs, gitdir: this.gitdir, cache: this.cache,
      trees: [git.TREE({ ref: sha })],
      map: async (filepath, [entry]) => {
        if (!entry || filepath === ".") return true;
        const inside = filepath === this.subPath || filepath.startsWith(prefix);
        const type = await entry.type();
        if (type === "tree") {
          // Enter only folders on the way to, or inside, the source path.
          if (!inside && !prefix.startsWith(`${filepath}/`)) return null;
          if (inside) sawPath = true;
          return isSkippedDir(filepath) ? null : true;
        }
        if (!inside) return null;
        const rel = filepath.slice(prefix.length);
        if ((await entry.mode()) === 0o120000) {
          if (isManifestPath(rel)) warnings.push(`${rel}: symlink ignored (symlinks are never followed)`);
          return null;
        }
        if (type !== "blob" || !isManifestPath(rel)) return null;
        const content = await entry.content();
        if (!content) return null;
        checkSize(rel, content.length, limit);
        files.set(rel, content);
        return null;
      },
    });
    if (!sawPath) throw new SourceError(`${this.description}: --path ${this.subPath} does not exist at ${sha.slice(0, 12)}`);
    return {
      sha,
      ref,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      files,
      warnings,
    };
  }

  private explain(err: unknown, creds: ReturnType<typeof readGitCredentials>): Error {
    if (err instanceof SourceError) return err;
    const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
    let message: string;
    if (e.code === "UserCanceledError" || e.data?.statusCode === 401 || e.data?.statusCode === 403) {
      message = creds
        ? "authentication failed: check --git-username and the token in --git-password-file / SEALSYNC_GIT_PASSWORD"
        : "the repository needs credentials: set --git-username and --git-password-file (or SEALSYNC_GIT_PASSWORD)";
    } else if (e.code === "NotFoundError") {
      message = `ref ${this.opts.ref ?? "HEAD"} not found on the remote`;
    } else {
      message = redactCredentials(e.message ?? String(err), creds);
    }
    return new SourceError(`fetch ${this.description}: ${message}`);
  }
}
