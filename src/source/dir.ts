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
    try {
      root = realpathSync(this.opts.dir);
      // Each folder of --path is checked on its own: a symlink anywhere in it would lead outside the tree.
      for (const part of normaliseSubPath(this.opts.path ?? ".").split("/").filter(Boolean)) {
        root = path.join(root, part);
        const st = lstatSync(root);
        if (st.isSymbolicLink()) {
          throw new SourceError(`--path ${this.opts.path}: ${path.relative(realpathSync(this.opts.dir), root)} is a symlink; symlinks are never followed`);
        }
      }
      if (!lstatSync(root).isDirectory()) throw new Error("not a directory");
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw new SourceError(`--dir ${this.opts.dir}${this.opts.path ? ` --path ${this.opts.path}` : ""}: not a readable directory`);
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
    // A directory has no commit: the revision is a digest of the manifest paths and contents.
    const digest = createHash("sha256");
    for (const [p, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      digest.update(p).update("\0").update(bytes).update("\0");
    }
    return { sha: digest.digest("hex"), ref: this.description, files, warnings };
  }
}
