/**
 * The directory source: reads manifests from a local folder (development, or a pod where a git-sync
 * sidecar owns the checkout). Symlinks are never followed — git-sync's own `--link` is the one exception:
 * the root itself may be a symlink, resolved once per fetch so a swap mid-read cannot mix two checkouts.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { SizeGuard, DEFAULT_MAX_FILE_BYTES, isManifestPath, isSkippedDir, normaliseSubPath } from "./file-rules.js";
import { SourceError, type Revision, type Source } from "./revision.js";
import { DirTreeReader } from "./dir-tree.js";
import { readKustomizeTree } from "./kustomize-reach.js";
import { kustomizationIn } from "./tree.js";

export interface DirSourceOptions {
  dir: string;
  path?: string;
  maxFileBytes?: number;
}

export class DirSource implements Source {
  readonly description: string;

  constructor(private readonly opts: DirSourceOptions) {
    this.description = `dir:${opts.dir}`;
  }

  async fetch(): Promise<Revision> {
    let root: string;
    let repo: string;
    const subPath = normaliseSubPath(this.opts.path ?? ".");
    try {
      repo = realpathSync(this.opts.dir);
      root = repo;
      // Each folder of --path is checked on its own: a symlink anywhere in it would lead outside the tree.
      for (const part of subPath.split("/").filter(Boolean)) {
        root = path.join(root, part);
        if (lstatSync(root).isSymbolicLink()) {
          throw new SourceError(`--path ${this.opts.path}: ${path.relative(repo, root)} is a symlink; symlinks are never followed`);
        }
      }
      if (!lstatSync(root).isDirectory()) throw new Error("not a directory");
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw new SourceError(`--dir ${this.opts.dir}${this.opts.path ? ` --path ${this.opts.path}` : ""}: not a readable directory`);
    }
    // A kustomization at --path: read only what it reaches, anywhere under --dir (the repository).
    const tree = new DirTreeReader(repo);
    if (await kustomizationIn(tree, subPath)) {
      const kustomize = await readKustomizeTree(tree, subPath, { maxFileBytes: this.opts.maxFileBytes });
      return { sha: digestOf(kustomize.files), ref: this.description, files: new Map(), kustomize, warnings: [] };
    }
    const sizes = new SizeGuard(this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    const files = new Map<string, Uint8Array>();
    const warnings: string[] = [];
    const walk = (rel: string) => {
      const entries = readdirSync(path.join(root, rel), { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const entry of entries) {
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isSymbolicLink()) {
          if (isManifestPath(childRel)) warnings.push(`${childRel}: symlink ignored (symlinks are never followed)`);
        } else if (entry.isDirectory()) {
          if (!isSkippedDir(childRel)) walk(childRel);
        } else if (entry.isFile() && isManifestPath(childRel)) {
          const full = path.join(root, childRel);
          if (sizes.accept(childRel, lstatSync(full).size)) files.set(childRel, readFileSync(full));
        }
      }
    };
    walk("");
    sizes.check();
    return { sha: digestOf(files), ref: this.description, files, warnings };
  }
}

/** A directory has no commit: the revision is a digest of the paths and contents read. */
function digestOf(files: ReadonlyMap<string, Uint8Array>): string {
  const digest = createHash("sha256");
  for (const [p, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    digest.update(p).update("\0").update(bytes).update("\0");
  }
  return digest.digest("hex");
}
