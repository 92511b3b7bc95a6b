/**
 * Keys from a directory, typically a mounted Secret. The kubelet publishes a Secret as `..<timestamp>/`
 * plus a `..data` symlink to it and one symlink per key (`tls.key -> ..data/tls.key`); an update swaps
 * `..data` atomically, so reading through the top-level names always sees one consistent version.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { KeyringLoadError } from "./errors.js";
import { keysFromNamedTexts, type KeyringKey } from "./entries.js";

/** Throws when the directory cannot be listed; a file that is not a usable key goes to `problems` (if given). */
export async function keysFromDirectory(dir: string, problems?: KeyringLoadError[]): Promise<KeyringKey[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new KeyringLoadError(dir, `cannot list the key directory (${(err as NodeJS.ErrnoException).code ?? "error"}); ` +
      "mount the key Secret there or fix the path", { cause: err });
  }
  const texts = new Map<string, string>();
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const file = path.join(dir, name);
    try {
      // stat follows the kubelet's symlinks; subdirectories are not key files.
      if (!(await stat(file)).isFile()) continue;
      texts.set(name, await readFile(file, "utf8"));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") continue; // Removed between readdir and read: the next reload sees the new state.
      const problem = new KeyringLoadError(file, `cannot read the key file (${code ?? "error"})`, { cause: err });
      if (!problems) throw problem;
      problems.push(problem);
    }
  }
  return keysFromNamedTexts(texts, dir, undefined, problems);
}
