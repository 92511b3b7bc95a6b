/** A TreeReader over one commit of the bare store: trees and blobs read by path from git objects, in memory. */
import * as git from "isomorphic-git";
import fs from "node:fs";
import type { EntryKind, TreeReader } from "./tree.js";

interface Entry {
  mode: string;
  oid: string;
  type: string;
}

export class GitTreeReader implements TreeReader {
  /** Folder path → its entries by name; one per reader, dropped with it (pack buffers live in `cache`). */
  readonly #trees = new Map<string, Promise<Map<string, Entry> | undefined>>();
  readonly #cache = {};

  constructor(private readonly gitdir: string, private readonly commit: string) {}

  #tree(dir: string): Promise<Map<string, Entry> | undefined> {
    let hit = this.#trees.get(dir);
    if (!hit) {
      hit = git.readTree({ fs, gitdir: this.gitdir, oid: this.commit, filepath: dir || undefined, cache: this.#cache })
        .then((t) => new Map(t.tree.map((e) => [e.path, { mode: e.mode, oid: e.oid, type: e.type }])))
        .catch(() => undefined);
      this.#trees.set(dir, hit);
    }
    return hit;
  }

  async #entry(p: string): Promise<Entry | undefined> {
    const slash = p.lastIndexOf("/");
    const parent = slash < 0 ? "" : p.slice(0, slash);
    // Never look through a symlinked folder: its entries would be the link's target.
    if (parent && (await this.kind(parent)) !== "dir") return undefined;
    return (await this.#tree(parent))?.get(p.slice(slash + 1));
  }

  async kind(p: string): Promise<EntryKind | undefined> {
    if (p === "") return "dir";
    const e = await this.#entry(p);
    if (!e) return undefined;
    if (e.mode === "120000") return "symlink";
    return e.type === "tree" ? "dir" : e.type === "blob" ? "file" : "other";
  }

  /** A blob read for its size, kept for the read that follows (git has no cheaper size lookup). */
  #sized?: { path: string; blob: Uint8Array };

  async size(p: string): Promise<number> {
    const blob = await this.read(p);
    this.#sized = { path: p, blob };
    return blob.length;
  }

  async read(p: string): Promise<Uint8Array> {
    if (this.#sized?.path === p) {
      const { blob } = this.#sized;
      this.#sized = undefined;
      return blob;
    }
    const e = await this.#entry(p);
    if (!e || e.type !== "blob") throw new Error(`${p}: not a file`);
    return (await git.readBlob({ fs, gitdir: this.gitdir, oid: e.oid, cache: this.#cache })).blob;
  }
}
