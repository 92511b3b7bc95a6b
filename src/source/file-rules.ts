/** Which files of a source tree are manifests, shared by the git and directory sources. */
import { SourceError } from "./revision.js";

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

/** True for *.yaml, *.yml, *.json outside dot-directories, except .sops.yaml. */
export function isManifestPath(relPath: string): boolean {
  const parts = relPath.split("/");
  if (parts.some((p) => p.startsWith("."))) return false; // .sops.yaml, .git/, .github/, dot-dirs
  return /\.(ya?ml|json)$/i.test(relPath);
}

/** True for a directory the walk should not enter. */
export function isSkippedDir(relPath: string): boolean {
  return relPath.split("/").some((p) => p.startsWith("."));
}

/**
 * Manifests larger than the limit fail the whole revision instead of being skipped: skipping one would
 * make its objects look deleted from Git, and prune them. Collect them while reading, then call
 * `check()`: it names every oversized file, in path order, whatever order they were read in.
 */
export class SizeGuard {
  readonly #over: { path: string; size: number }[] = [];

  constructor(readonly limit: number) {}

  /** False (and remembered) when the file is over the limit: do not keep its bytes. */
  accept(relPath: string, size: number): boolean {
    if (size <= this.limit) return true;
    this.#over.push({ path: relPath, size });
    return false;
  }

  check(): void {
    if (this.#over.length === 0) return;
    const files = [...this.#over].sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((f) => `${f.path}: file is ${f.size} bytes, over the ${this.limit}-byte limit`);
    throw new SourceError(`${files.join("; ")} (raise --max-file-size if it is really a manifest)`);
  }
}

/** Normalises `--path` to a relative POSIX prefix without slashes at the ends ("" = root); refuses escapes. */
export function normaliseSubPath(p: string): string {
  const parts = p.split(/[\\/]+/).filter((x) => x && x !== ".");
  if (parts.includes("..")) throw new SourceError(`--path ${p}: must stay inside the repository (no "..")`);
  return parts.join("/");
}
