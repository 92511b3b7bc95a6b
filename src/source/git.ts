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
import { SizeGuard, DEFAULT_MAX_FILE_BYTES, isManifestPath, isSkippedDir, normaliseSubPath } from "./file-rules.js";
import { readGitCredentials, redactCredentials, type GitCredentialOptions } from "./credentials.js";
import { SourceError, type Revision, type Source } from "./revision.js";
import { GitTreeReader } from "./git-tree.js";
import { readKustomizeTree } from "./kustomize-reach.js";
import { kustomizationIn } from "./tree.js";

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

/** More packs than this (one per fetched commit) and the store is dropped and fetched afresh: bounded disk and memory. */
const MAX_PACKS = 8;

export class GitSource implements Source {
  readonly description: string;
  private readonly gitdir: string;
  private readonly subPath: string;
  /** The newest revision read: an unchanged remote ref costs one ref listing, nothing more. */
  private last?: Revision;

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
    // Credentials go in a header up front (one request instead of a 401 round trip), never in the URL.
    const headers: Record<string, string> = creds
      ? { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` }
      : {};
    // isomorphic-git adds to the headers object it is given (Git-Protocol), so each call gets a copy.
    const auth = {
      get headers() {
        return { ...headers };
      },
      onAuth: () => (creds ? { username: creds.username, password: creds.password } : { cancel: true }),
      onAuthFailure: () => ({ cancel: true }),
    };
    try {
      const sha = ref && SHA_RE.test(ref) ? ref : await this.remoteSha(ref, auth);
      if (this.last?.sha === sha) return this.last;
      // A store that already holds the commit (a restart, a one-shot sync run again) needs no fetch.
      const stored = await this.readCommit(sha, ref ?? "HEAD").catch(() => undefined);
      if (stored) return (this.last = stored);
      await this.ensureRepo();
      const result = await git.fetch({
        fs, http, gitdir: this.gitdir, remote: "origin", ...auth,
        // A SHA may not be a branch tip: fetch all branches (full depth) and look it up.
        ...(ref && SHA_RE.test(ref)
          ? { singleBranch: false }
          : { singleBranch: true, depth: 1, remoteRef: ref ?? "HEAD", ref: ref ?? "HEAD" }),
        tags: false,
        prune: false,
      });
      // The ref may have moved between listing and fetching: then read what was fetched.
      this.last = await this.readCommit(sha, ref ?? "HEAD").catch((err: unknown) => {
        if (result.fetchHead && result.fetchHead !== sha) return this.readCommit(result.fetchHead, ref ?? "HEAD");
        throw err;
      });
    } catch (err) {
      throw this.explain(err, creds);
    }
    this.dropStoreIfLarge();
    return this.last;
  }

  /** The commit the ref points at on the remote (one ls-refs request). */
  private async remoteSha(ref: string | undefined, auth: Pick<Parameters<typeof git.listServerRefs>[0], "headers" | "onAuth" | "onAuthFailure">): Promise<string> {
    const refs = await git.listServerRefs({ http, url: this.opts.url, ...auth, protocolVersion: 2, symrefs: true, peelTags: true });
    const names = ref
      ? (ref.startsWith("refs/") ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`])
      : ["HEAD"];
    for (const name of names) {
      const hit = refs.find((r) => r.ref === name);
      if (hit) return hit.peeled ?? hit.oid;
    }
    throw new SourceError(`${this.description}: ref ${ref ?? "HEAD"} not found on the remote`);
  }

  private async ensureRepo(): Promise<void> {
    if (fs.existsSync(path.join(this.gitdir, "config"))) return;
    fs.mkdirSync(this.gitdir, { recursive: true });
    await git.init({ fs, gitdir: this.gitdir, bare: true });
    await git.addRemote({ fs, gitdir: this.gitdir, remote: "origin", url: this.opts.url });
  }

  /** Each shallow fetch of a new commit adds a pack with the whole tree; past MAX_PACKS start over. */
  private dropStoreIfLarge(): void {
    const packDir = path.join(this.gitdir, "objects", "pack");
    const packs = fs.existsSync(packDir) ? fs.readdirSync(packDir).filter((f) => f.endsWith(".pack")).length : 0;
    if (packs > MAX_PACKS) fs.rmSync(this.gitdir, { recursive: true, force: true });
  }

  private async readCommit(sha: string, ref: string): Promise<Revision> {
    // One cache per read: isomorphic-git keeps whole pack buffers in it, which must not outlive the read.
    const cache = {};
    let commit: git.CommitObject;
    try {
      commit = (await git.readCommit({ fs, gitdir: this.gitdir, oid: sha, cache })).commit;
    } catch (err) {
      throw new SourceError(`${this.description}: commit ${sha} is not on any branch of the remote`, { cause: err });
    }
    const commitInfo = { sha, ref, author: commit.author, committer: commit.committer, message: commit.message };
    // A kustomization at --path: read only what it reaches, from anywhere in the repository.
    const tree = new GitTreeReader(this.gitdir, sha);
    if ((await tree.kind(this.subPath)) === "dir" && await kustomizationIn(tree, this.subPath)) {
      const kustomize = await readKustomizeTree(tree, this.subPath, { maxFileBytes: this.opts.maxFileBytes });
      return { ...commitInfo, files: new Map(), kustomize, warnings: [] };
    }
    const files = new Map<string, Uint8Array>();
    const warnings: string[] = [];
    const sizes = new SizeGuard(this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    const prefix = this.subPath ? `${this.subPath}/` : "";
    let sawPath = this.subPath === "";
    // walk() reads each tree once; readBlob by path in a loop re-resolves trees and is ~20x slower.
    await git.walk({
      fs, gitdir: this.gitdir, cache,
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
        if (sizes.accept(rel, content.length)) files.set(rel, content);
        return null;
      },
    });
    if (!sawPath) throw new SourceError(`${this.description}: --path ${this.subPath} does not exist at ${sha.slice(0, 12)}`);
    sizes.check();
    return { ...commitInfo, files, warnings };
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
