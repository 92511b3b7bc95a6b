/**
 * Changing one value of a SOPS file (`seal set` / `seal unset`): only that value is encrypted anew (same
 * data key, fresh IV), every other ciphertext and the recipients stay byte for byte, and the MAC and
 * lastmodified are recomputed over the new plaintext, as `sops set` does. The file must open with a held
 * key first (MAC verified), so a tampered file is never re-authenticated.
 */
import type { AgeIdentity } from "../age.js";
import { encryptValue } from "./cipher.js";
import { decryptTrees } from "./decrypt.js";
import { SopsEncryptError, type SopsLocation } from "./errors.js";
import { emitEncrypted, loadEncrypted, type SopsFormat } from "./format/index.js";
import { encryptMac, lastModifiedNow, MacHasher } from "./mac.js";
import { compileSelectors } from "./selectors.js";
import { cloneValue, Comment, TreeMap, type TreeValue } from "./tree.js";
import { macBytes } from "./values.js";
import { walkDocument } from "./walk.js";

export interface SetValueOptions {
  format: SopsFormat;
  file: string;
  identities: readonly AgeIdentity[];
  /** The key as the user wrote it: `data.password`, `data.tls.crt`, or sops' `["data"]["tls.crt"]`. */
  key: string;
  /** The new value's bytes; undefined removes the key. The caller wipes it afterwards. */
  value?: Uint8Array;
  now?: Date;
}

export interface SetValueResult {
  /** The new file; the input bytes when nothing changed. */
  bytes: Uint8Array;
  /** The resolved key path. */
  path: string[];
  action: "added" | "changed" | "unchanged" | "removed";
  /** The value went into `data` of a Kubernetes Secret and was base64-encoded, as the API wants it. */
  base64: boolean;
}

export class KeyPathError extends Error {
  override name = "KeyPathError";
}

/** `["a"]["b.c"]` (sops' syntax) → [a, b.c]. */
function parseIndexSyntax(key: string): string[] {
  const parts: string[] = [];
  const re = /\[\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*\]/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < key.length && (m = (re.lastIndex = at, re.exec(key)))) {
    const q = m[1]!;
    parts.push(q.startsWith('"') ? (JSON.parse(q) as string) : q.slice(1, -1));
    at = re.lastIndex;
  }
  if (at !== key.length || parts.length === 0) throw new KeyPathError(`${key}: expected ["key"]["subkey"] (list indexes are not supported; use sops for lists)`);
  return parts;
}

/**
 * A dotted key resolved against the document: at each level the longest run of segments that names an
 * existing key wins (so `data.tls.crt` finds `tls.crt`); what is left names a new key.
 */
function resolveDotted(doc: TreeMap, key: string): string[] {
  const segs = key.split(".");
  if (segs.some((s) => s === "")) throw new KeyPathError(`${key}: empty key segment; quote keys with dots as ["data"]["tls.crt"]`);
  const out: string[] = [];
  let node: TreeValue = doc;
  let i = 0;
  while (i < segs.length) {
    if (!(node instanceof TreeMap)) throw new KeyPathError(`${key}: ${out.join(".")} is not a map`);
    let found = -1;
    for (let j = segs.length; j > i; j--) {
      if (node.has(segs.slice(i, j).join("."))) {
        found = j;
        break;
      }
    }
    if (found < 0) {
      // A new key. Nothing matched at the top: the first segment is the top-level map (added if missing,
      // as stringData: in stringData.password); what is left is one key, as Secret keys are named (tls.crt).
      if (i === 0 && segs.length > 1) return [segs[0]!, segs.slice(1).join(".")];
      return [...out, segs.slice(i).join(".")];
    }
    const name = segs.slice(i, found).join(".");
    out.push(name);
    node = node.get(name)!;
    i = found;
  }
  return out;
}

/** The map holding the key; `create` adds missing maps on the way (for a new key), never over a value. */
function parentOf(doc: TreeMap, path: readonly string[], key: string, create: boolean): TreeMap {
  let node = doc;
  path.slice(0, -1).forEach((p, i) => {
    let next = node.get(p);
    if (next === undefined && create) {
      next = new TreeMap();
      node.items.push({ key: p, value: next });
    }
    if (!(next instanceof TreeMap)) throw new KeyPathError(`${key}: ${path.slice(0, i + 1).join(".")} is ${next === undefined ? "not in this file" : "not a map"}`);
    node = next;
  });
  return node;
}

function setEntry(m: TreeMap, name: string, value: TreeValue): void {
  const e = m.entries().find((x) => x.key === name);
  if (e) e.value = value;
  else m.items.push({ key: name, value });
}

function removeEntry(m: TreeMap, name: string): void {
  const i = m.items.findIndex((x) => !(x instanceof Comment) && x.key === name);
  if (i >= 0) m.items.splice(i, 1);
}

export async function setSopsValue(bytes: Uint8Array, opts: SetValueOptions): Promise<SetValueResult> {
  const loc: SopsLocation = { file: opts.file };
  if (opts.format === "binary") throw new SopsEncryptError(loc, "a binary file has one value; re-encrypt the whole file with `seal encrypt`");
  const enc = loadEncrypted(bytes, opts.format, loc);
  if (enc.docs.length !== 1) throw new SopsEncryptError(loc, "the file holds several YAML documents; seal set edits single-document files (use sops set)");
  const { docs: plain, dataKey } = await decryptTrees(enc.docs, enc.metadata, opts.identities, loc);
  const plainDoc = plain[0]!;
  const encDoc = enc.docs[0]!;
  const path = opts.key.trimStart().startsWith("[") ? parseIndexSyntax(opts.key) : resolveDotted(plainDoc, opts.key);
  if (path.length === 1 && path[0] === "sops") throw new KeyPathError(`${opts.key}: the sops metadata cannot be set`);
  const name = path[path.length - 1]!;
  const plainParent = parentOf(plainDoc, path, opts.key, opts.value !== undefined);
  const encParent = parentOf(encDoc, path, opts.key, opts.value !== undefined);
  const current = plainParent.get(name);
  if (current instanceof TreeMap || Array.isArray(current)) throw new KeyPathError(`${opts.key}: is a ${Array.isArray(current) ? "list" : "map"}, not a value`);
  const base64 = opts.value !== undefined && plainDoc.get("kind") === "Secret" && path.length === 2 && path[0] === "data";

  let action: SetValueResult["action"];
  if (opts.value === undefined) {
    if (current === undefined) throw new KeyPathError(`${opts.key}: no such key in ${opts.file}`);
    removeEntry(plainParent, name);
    removeEntry(encParent, name);
    action = "removed";
  } else {
    const text = base64 ? Buffer.from(opts.value).toString("base64") : utf8(opts.value, opts.key);
    if (typeof current === "string" && current === text) return { bytes, path, action: "unchanged", base64 };
    setEntry(plainParent, name, text);
    action = current === undefined ? "added" : "changed";
  }

  // One walk over the new plaintext: the MAC, and whether the selectors encrypt the new value.
  const selectors = compileSelectors(enc.metadata.selectors);
  const mac = new MacHasher(enc.metadata.macOnlyEncrypted);
  let encryptIt = true;
  walkDocument(cloneValue(plainDoc), (leaf, p, stack) => {
    const isComment = leaf instanceof Comment;
    const encrypted = selectors.shouldEncrypt(p, stack, isComment);
    if (!isComment) mac.add(macBytes(leaf), encrypted);
    if (!isComment && p.length === path.length && p.every((s, i) => s === path[i])) encryptIt = encrypted;
    return leaf;
  });
  if (action !== "removed") {
    const value = plainParent.get(name) as string;
    setEntry(encParent, name, encryptIt ? encryptValue(Buffer.from(value, "utf8"), "str", dataKey, `${path.join(":")}:`) : value);
  }
  const lastModified = lastModifiedNow(opts.now);
  const metadata = { ...enc.metadata, lastModified, mac: encryptMac(mac.hex(), dataKey, lastModified) };
  return { bytes: emitEncrypted({ docs: [encDoc], metadata }, opts.format), path, action, base64 };
}

const strict = new TextDecoder("utf-8", { fatal: true });

function utf8(value: Uint8Array, key: string): string {
  try {
    return strict.decode(value);
  } catch {
    throw new KeyPathError(`${key}: the value is not UTF-8 text; put binary data under data: of a Secret (base64-encoded for you)`);
  }
}
