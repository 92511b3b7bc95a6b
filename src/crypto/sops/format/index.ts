/**
 * Stores by format: which format a path has (by extension, as sops decides), and loading/emitting
 * plaintext and encrypted files for each. The encrypted form keeps the `sops` metadata apart.
 */
import path from "node:path";
import { SopsMetadataError, SopsParseError, type SopsLocation } from "../errors.js";
import { flatten, unflatten } from "../flatten.js";
import { MetadataFormatError, metadataToTree, parseMetadata, type SopsMetadata } from "../metadata.js";
import { TreeMap, type TreeValue } from "../tree.js";
import { binaryToTree, treeToBinary } from "./binary.js";
import { emitDotenv, parseDotenv } from "./dotenv.js";
import { emitJson, parseJson } from "./json.js";
import { emitYaml, parseYaml } from "./yaml.js";

export class UnsupportedFormatError extends Error {
  override name = "UnsupportedFormatError";
}

export type SopsFormat = "yaml" | "json" | "dotenv" | "binary";
export const SOPS_FORMATS: readonly SopsFormat[] = ["yaml", "json", "dotenv", "binary"];

/** `.yaml`/`.yml` → yaml, `.json` → json, `.env` → dotenv, anything else → binary (as sops). */
export function formatForPath(file: string): SopsFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".ini") throw new UnsupportedFormatError(`${file}: INI files are not supported by seal; use sops for them, or pass --input-type binary to treat the file as opaque bytes`);
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  if (ext === ".json") return "json";
  if (ext === ".env") return "dotenv";
  return "binary";
}

export function parseFormatName(name: string): SopsFormat {
  const n = name.toLowerCase();
  if (n === "yml") return "yaml";
  if (n === "env") return "dotenv";
  if ((SOPS_FORMATS as readonly string[]).includes(n)) return n as SopsFormat;
  throw new Error(`unknown format "${name}" (expected yaml, json, dotenv or binary)`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Uint8Array, loc: SopsLocation): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SopsParseError(loc, "the file is not valid UTF-8 text; use the binary format for arbitrary bytes");
  }
}

function parseError(loc: SopsLocation, format: SopsFormat, err: unknown): SopsParseError {
  return new SopsParseError(loc, `not valid ${format}: ${(err as Error).message}`, { cause: err });
}

/** Loads a plaintext file into documents (one, except multi-document YAML). */
export function loadPlain(bytes: Uint8Array, format: SopsFormat, loc: SopsLocation): TreeMap[] {
  if (format === "binary") return [binaryToTree(bytes)];
  const t = text(bytes, loc);
  try {
    if (format === "yaml") return parseYaml(t);
    if (format === "json") return [parseJson(t)];
    return [parseDotenv(t)];
  } catch (err) {
    throw parseError(loc, format, err);
  }
}

export interface EncryptedFile {
  docs: TreeMap[];
  metadata: SopsMetadata;
}

const DOTENV_PREFIX = "sops_";

/** Loads an encrypted file: the documents without their `sops` key, and the metadata. */
export function loadEncrypted(bytes: Uint8Array, format: SopsFormat, loc: SopsLocation): EncryptedFile {
  const t = text(bytes, loc);
  let docs: TreeMap[];
  let raw: TreeValue | undefined;
  try {
    if (format === "dotenv") {
      const all = parseDotenv(t);
      const meta = all.entries().filter((e) => e.key.startsWith(DOTENV_PREFIX));
      raw = meta.length === 0 ? undefined : unflatten(meta.map((e) => [e.key.slice(DOTENV_PREFIX.length), e.value]));
      docs = [new TreeMap(all.items.filter((it) => !("key" in it && it.key.startsWith(DOTENV_PREFIX))))];
    } else {
      docs = format === "yaml" ? parseYaml(t) : [parseJson(t)];
      // Every YAML document carries a copy; the first one counts, as in sops.
      raw = docs.map((d) => d.get("sops")).find((v) => v !== undefined);
      docs = docs.map((d) => new TreeMap(d.items.filter((it) => !("key" in it && it.key === "sops"))));
    }
  } catch (err) {
    throw parseError(loc, format === "binary" ? "json" : format, err);
  }
  if (raw === undefined) {
    throw new SopsMetadataError(loc, "sops metadata not found: this file is not SOPS-encrypted (no top-level sops key). Encrypt it with `seal encrypt`.");
  }
  try {
    return { docs, metadata: parseMetadata(raw) };
  } catch (err) {
    if (err instanceof MetadataFormatError) throw new SopsMetadataError(loc, `${err.message}; restore the file from Git`);
    throw err;
  }
}

export interface EmitOptions {
  yamlIndent?: number;
  jsonIndent?: number;
}

/** Writes encrypted documents with the metadata appended, as sops does for each store. */
export function emitEncrypted(file: EncryptedFile, format: SopsFormat): Uint8Array {
  const md = metadataToTree(file.metadata, { binary: format === "binary" });
  let out: string;
  if (format === "dotenv") {
    const doc = new TreeMap([...file.docs[0]!.items]);
    for (const [k, v] of flatten(md)) doc.items.push({ key: `${DOTENV_PREFIX}${k}`, value: v });
    out = emitDotenv(doc);
  } else {
    const docs = file.docs.map((d) => new TreeMap([...d.items, { key: "sops", value: md }]));
    out = format === "yaml" ? emitYaml(docs) : emitJson(docs[0]!);
  }
  return new TextEncoder().encode(out);
}

/** Writes decrypted documents in the plaintext form of the format. */
export function emitPlain(docs: TreeMap[], format: SopsFormat, loc: SopsLocation): Uint8Array {
  if (format === "binary") {
    const b = docs[0] && treeToBinary(docs[0]);
    if (!b) throw new SopsParseError(loc, "the binary file has no data value");
    return b;
  }
  if (format === "yaml") return new TextEncoder().encode(emitYaml(docs));
  if (format === "json") return new TextEncoder().encode(emitJson(docs[0] ?? new TreeMap()));
  return new TextEncoder().encode(emitDotenv(docs[0] ?? new TreeMap()));
}
