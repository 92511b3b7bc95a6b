/**
 * SOPS documents as the sync engine holds them: parsed YAML/JSON objects (plain JS values) in, plain
 * objects out. Conversion keeps what the MAC depends on: map order, and ints vs floats by value
 * (Go prints 1.0 and 1 the same way, so a JS number is enough unless it exceeds 2^53: pass a bigint).
 */
import type { AgeIdentity } from "../age.js";
import { decryptTrees } from "./decrypt.js";
import { SopsMetadataError, SopsParseError, type SopsLocation } from "./errors.js";
import { MetadataFormatError, parseMetadata, type SopsMetadata } from "./metadata.js";
import { Comment, SopsTime, TreeMap, type TreeValue } from "./tree.js";

export function isSopsDocument(doc: unknown): boolean {
  if (!isPlainObject(doc)) return false;
  const sops = doc["sops"];
  return isPlainObject(sops) && ("mac" in sops || "lastmodified" in sops) && ("age" in sops || "pgp" in sops || "kms" in sops || "key_groups" in sops);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

function toTree(v: unknown, loc: SopsLocation, path: string[]): TreeValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (v instanceof Date) return new SopsTime(v.toISOString().replace(/\.000Z$/, "Z"));
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map((x) => toTree(x, loc, path));
  if (isPlainObject(v)) return new TreeMap(Object.entries(v).map(([key, value]) => ({ key, value: toTree(value, loc, [...path, key]) })));
  throw new SopsParseError({ ...loc, path }, `unsupported value of type ${typeof v}`);
}

/**
 * Plain JS value for Kubernetes: ints as numbers (bigint beyond 2^53 — JSON.stringify needs a
 * replacer for those), floats as numbers, times as RFC 3339 strings, comments dropped.
 */
export function treeToPlain(v: TreeValue): unknown {
  if (v instanceof TreeMap) {
    const o: Record<string, unknown> = {};
    for (const e of v.entries()) {
      // defineProperty: a key named __proto__ must stay data, not change the prototype.
      Object.defineProperty(o, e.key, { value: treeToPlain(e.value), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  if (Array.isArray(v)) return v.filter((x): x is TreeValue => !(x instanceof Comment)).map(treeToPlain);
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (v instanceof SopsTime) return v.text;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return v;
}

function splitDoc(doc: Record<string, unknown>, loc: SopsLocation): { tree: TreeMap; metadata: SopsMetadata } {
  if (!isSopsDocument(doc)) throw new SopsMetadataError(loc, "sops metadata not found (no top-level sops map with keys and a MAC)");
  const { sops, ...rest } = doc;
  let metadata: SopsMetadata;
  try {
    metadata = parseMetadata(toTree(sops, loc, ["sops"]));
  } catch (err) {
    if (err instanceof MetadataFormatError) throw new SopsMetadataError(loc, `${err.message}; restore the file from Git`);
    throw err;
  }
  return { tree: toTree(rest, loc, []) as TreeMap, metadata };
}

/**
 * Decrypts one parsed SOPS document (a file with a single document). Verifies every value and the MAC.
 * For a multi-document YAML file use decryptSopsDocuments: its MAC covers all documents together.
 */
export async function decryptSopsDocument(
  doc: Record<string, unknown>,
  identities: AgeIdentity[],
  where: { file: string; index?: number },
): Promise<{ object: Record<string, unknown>; keyId: string }> {
  const loc: SopsLocation = { file: where.file, index: where.index };
  const { tree, metadata } = splitDoc(doc, loc);
  const { docs, keyId } = await decryptTrees([tree], metadata, identities, loc, {
    macHint: " If this file holds several YAML documents, decrypt them together (their MAC covers all of them).",
  });
  return { object: treeToPlain(docs[0]!) as Record<string, unknown>, keyId };
}

/** Decrypts all documents of one multi-document SOPS YAML file (one data key, one MAC). */
export async function decryptSopsDocuments(
  docs: Record<string, unknown>[],
  identities: AgeIdentity[],
  where: { file: string },
): Promise<{ objects: Record<string, unknown>[]; keyId: string }> {
  const loc: SopsLocation = { file: where.file };
  if (docs.length === 0) throw new SopsParseError(loc, "no documents");
  const split = docs.map((d, index) => splitDoc(d, { file: where.file, index }));
  const { docs: out, keyId } = await decryptTrees(split.map((s) => s.tree), split[0]!.metadata, identities, loc);
  return { objects: out.map((d) => treeToPlain(d) as Record<string, unknown>), keyId };
}
