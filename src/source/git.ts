/**
 * The Git source: fetches one ref over HTTPS with isomorphic-git into a bare object store under the
 * data directory (ciphertext only — there is no worktree, ever), and reads the manifests of that commit
 * from git objects in memory. This module has no push, commit or write-tree call.
 */
import * as git from "isomorphic-git";
import fs from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { SizeGuard, DEFAULT_MAX_FILE_BYTES, isManifestPath, isSkippedDir, normaliseSubPath } from "./file-rules.js";
import { readGitCredentials, redactCredentials, type GitCredentialOptions, type GitCredentials } from "./credentials.js";
import { SourceError, type Revision, type Source } from "./revision.js";
import { gitHttpClient } from "./git-http.js";
import { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_FILES, DEFAULT_MAX_TOTAL_BYTES } from "../config/git-limits.js";
import type { PackLimits } from "./pack-screen.js";
import type { ObjectStore } from "./history.js";
import type { RollbackGuard } from "./rollback.js";
import type { CommitVerifier } from "./verify/verifier.js";
import { tolerateDanglingHead } from "./dangling-head.js";
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
  /** Most files / unpacked bytes one fetch may bring (screened before unpacking). */
  maxFiles?: number;
  maxTotalBytes?: number;
  /** Deadline of one fetch (all its requests), milliseconds; default 2 minutes. */
  fetchTimeoutMs?: number;
  /** Plain http:// is refused unless set (--allow-insecure-http). */
  allowInsecureHttp?: boolean;
  /** Extra CA certificates (PEM text) to trust for HTTPS (--git-ca-file). */
  ca?: string;
  /** --verify: signatures checked on the fetched objects before any file is read. */
  verifier?: CommitVerifier;
  /** Reports (or refuses) a target that does not descend from the last applied commit. */
  rollback?: RollbackGuard;
  /** Credentials fetched before each fetch (a GitHub App's installation token) instead of username/password file. */
  credentialProvider?: () => Promise<GitCredentials>;
}


const SHA_RE = /^[0-9a-f]{40}$/;

/** One object store (and its state files) per repository URL. */
export function storeId(url: string): string {
  return createHash("sha256").update(new URL(url).toString()).digest("hex").slice(0, 16);
}

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
    this.gitdir = path.join(opts.dataDir, "git", `${storeId(opts.url)}.git`);
  }

  async fetch(signal?: AbortSignal): Promise<Revision> {
    const ref = this.opts.ref;
    const creds = this.opts.credentialProvider ? await this.opts.credentialProvider() : readGitCredentials(this.opts);
    const timeoutMs = this.opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const limits: PackLimits = {
      maxFiles: this.opts.maxFiles ?? DEFAULT_MAX_FILES,
      maxTotalBytes: this.opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    };
    // Bounded, screened and deadlined (git-http.ts); a remote HEAD naming a missing branch must not stop `--ref main`.
    const http = tolerateDanglingHead(gitHttpClient({
      limits, signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      allowInsecureHttp: this.opts.allowInsecureHttp, ca: this.opts.ca,
    }));
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
      const target = ref && SHA_RE.test(ref) ? { sha: ref } : await this.remoteSha(http, ref, auth);
      let sha = target.sha;
      if (this.last?.sha === sha) return this.last;
      // A SHA may not be a branch tip: fetch all branches (full depth) and look it up.
      const fetchArgs = ref && SHA_RE.test(ref)
        ? { singleBranch: false }
        : { singleBranch: true, remoteRef: ref ?? "HEAD", ref: ref ?? "HEAD" };
      const store = this.objectStore(async (depth) => {
        await git.fetch({ fs, http, gitdir: this.gitdir, remote: "origin", ...auth, ...fetchArgs, depth, relative: true, tags: false, prune: false });
      });
      // A store that already holds the objects (a restart, a one-shot sync run again) needs no fetch.
      if (!(await store.read(sha)) || (target.tag && !(await store.read(target.tag)))) {
        await this.ensureRepo();
        const result = await git.fetch({
          fs, http, gitdir: this.gitdir, remote: "origin", ...auth, ...fetchArgs,
          ...(fetchArgs.singleBranch ? { depth: 1 } : {}),
          tags: false,
          prune: false,
        });
        // The ref may have moved between listing and fetching: then read what was fetched.
        if (!(await store.read(sha)) && result.fetchHead && result.fetchHead !== sha) sha = result.fetchHead;
      }
      // Trust before content: signatures and ancestry are checked before any file of the commit is read.
      const verification = await this.opts.verifier?.verify(store, { commit: sha, tag: target.tag, ref: ref ?? "HEAD" });
      const rewound = await this.opts.rollback?.check(store, sha);
      const read = await this.readCommit(sha, ref ?? "HEAD");
      const { warnings: keyWarnings = [], ...checked } = verification ?? {};
      this.last = { ...read, warnings: [...keyWarnings, ...read.warnings], verification: verification && (checked as typeof verification), rewound };
    } catch (err) {
      if (deadline.aborted) throw new SourceError(`fetch ${this.description}: no answer within ${timeoutMs / 1000} s (--fetch-timeout); abandoned`);
      if (signal?.aborted) throw new SourceError(`fetch ${this.description}: abandoned (shutting down)`);
      throw this.explain(err, creds);
    }
    this.dropStoreIfLarge();
    return this.last;
  }

  /** A revision is in force: remembered, so a later rewind of the source is noticed. */
  applied(sha: string): void {
    this.opts.rollback?.applied(sha);
  }

  /** The commit the ref points at on the remote, and the tag object when it is an annotated tag (one ls-refs request). */
  private async remoteSha(http: git.HttpClient, ref: string | undefined, auth: Pick<Parameters<typeof git.listServerRefs>[0], "headers" | "onAuth" | "onAuthFailure">): Promise<{ sha: string; tag?: string }> {
    const refs = await git.listServerRefs({ http, url: this.opts.url, ...auth, protocolVersion: 2, symrefs: true, peelTags: true });
    const names = ref
      ? (ref.startsWith("refs/") ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`])
      : ["HEAD"];
    for (const name of names) {
      const hit = refs.find((r) => r.ref === name);
      if (hit) return hit.peeled ? { sha: hit.peeled, tag: hit.oid } : { sha: hit.oid };
    }
    throw new SourceError(`${this.description}: ${missingRef(ref, refs.map((r) => r.ref))}`);
  }

  /** Raw objects of the store, and deepening of its shallow history (doubling each time). */
  private objectStore(fetchDeeper: (depth: number) => Promise<void>): ObjectStore {
    let depth = 16;
    const cache = {};
    const shallow = () => {
      try {
        return fs.readFileSync(path.join(this.gitdir, "shallow"), "utf8");
      } catch {
        return "";
      }
    };
    return {
      read: async (oid) => {
        try {
          const o = await git.readObject({ fs, gitdir: this.gitdir, oid, format: "content", cache });
          return { type: o.type, object: Buffer.from(o.object as Uint8Array) };
        } catch {
          return undefined;
        }
      },
      deepen: async () => {
        const before = shallow();
        if (!before.trim()) return false;
        await fetchDeeper(depth);
        depth *= 2;
        return shallow() !== before;
      },
    };
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

  private explain(err: unknown, creds: GitCredentials | undefined): Error {
    if (err instanceof SourceError) return err;
    const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
    let message: string;
    if (e.code === "UserCanceledError" || e.data?.statusCode === 401 || e.data?.statusCode === 403) {
      message = creds
        ? "authentication failed: check --git-username and the token in --git-password-file / SEALSYNC_GIT_PASSWORD"
        : "the repository needs credentials: set --git-username and --git-password-file (or SEALSYNC_GIT_PASSWORD)";
    } else if (e.code === "NotFoundError") {
      message = `ref ${this.opts.ref ?? "HEAD"} not found on the remote (${redactCredentials(e.message ?? "", creds)})`;
    } else {
      message = redactCredentials(e.message ?? String(err), creds);
    }
    return new SourceError(`fetch ${this.description}: ${message}`);
  }
}

/** Says what is really missing: a dangling remote HEAD is not the same as a missing branch. */
function missingRef(ref: string | undefined, available: string[]): string {
  const branches = available.filter((r) => r.startsWith("refs/heads/")).map((r) => r.slice("refs/heads/".length));
  const list = branches.length ? `branches on the remote: ${branches.slice(0, 10).join(", ")}${branches.length > 10 ? ", …" : ""}` : "the remote has no branches";
  if (!ref) return `the remote's HEAD does not name an existing branch (${list}); set --ref to the branch to follow`;
  return `ref ${ref} not found on the remote (${list})`;
}
