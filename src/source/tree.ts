/**
 * One commit's tree, read file by file on demand: what a kustomize build reaches is read, nothing else.
 * Paths are repository-relative, POSIX separators, already normalised (no "..", no leading slash).
 */
export type EntryKind = "file" | "dir" | "symlink" | "other";

export interface TreeReader {
  /** What is at the path, or undefined when nothing is. Never follows a symlink. */
  kind(path: string): Promise<EntryKind | undefined>;
  /** Size in bytes of a file (before reading it, to apply the size limit). */
  size(path: string): Promise<number>;
  read(path: string): Promise<Uint8Array>;
}

/** The file names kustomize recognises as a kustomization, in its order of preference. */
export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

/** The kustomization file of a folder, if it holds one. */
export async function kustomizationIn(reader: TreeReader, dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const p = dir ? `${dir}/${name}` : name;
    const kind = await reader.kind(p);
    if (kind === "file") return p;
  }
  return undefined;
}
