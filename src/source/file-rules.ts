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
 * A manifest larger than the limit fails the whole revision instead of being skipped: skipping it
 * would make its objects look deleted from Git, and prune them.
 */
export function checkSize(relPath: string, size: number, limit: number): void {
  if (size > limit) {
    throw new SourceError(`${relPath}: file is ${size} bytes, over the ${limit}-byte limit ` +
      "(raise --max-file-size if it is really a manifest)");
  }
}

/** Normalises `--path` to a relative POSIX prefix without slashes at the ends ("" = root); refuses escapes. */
export function normaliseSubPath(p: string): string {
  const parts = p.split(/[\\/]+/).filter((x) => x && x !== ".");
  if (parts.includes("..")) throw new SourceError(`--path ${p}: must stay inside the repository (no "..")`);
  return parts.join("/");
}
