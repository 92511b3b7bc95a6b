/** A TreeReader over a local folder (the --dir source): lstat only, so a symlink is seen, never followed. */
import { lstatSync, readFileSync } from "node:fs";
import path from "node:path";
import type { EntryKind, TreeReader } from "./tree.js";

export class DirTreeReader implements TreeReader {
  constructor(private readonly root: string) {}

  async kind(p: string): Promise<EntryKind | undefined> {
    try {
      const st = lstatSync(path.join(this.root, p));
      return st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
    } catch {
      return undefined;
    }
  }

  async size(p: string): Promise<number> {
    return lstatSync(path.join(this.root, p)).size;
  }

  async read(p: string): Promise<Uint8Array> {
    return readFileSync(path.join(this.root, p));
  }
}
