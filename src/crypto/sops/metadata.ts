/**
 * The `sops` metadata block: read from any store's tree (accepting every layout sops 3.7–3.13 wrote),
 * and written as sops 3.13 writes it (keys sorted, age entries `enc` then `recipient`).
 */
import { Comment, TreeMap, type Scalar, type TreeValue } from "./tree.js";

/** The sops version whose metadata layout we write. */
export const SOPS_FORMAT_VERSION = "3.13.2";

export interface AgeStanza {
  recipient: string;
  enc: string;
}

export interface KeyGroup {
  age: AgeStanza[];
  /** Other master-key types in the group (pgp, kms…), preserved verbatim. */
  others: Map<string, TreeValue>;
}

export interface Selectors {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
}

export const SELECTOR_FIELDS = [
  ["unencrypted_suffix", "unencryptedSuffix"],
  ["encrypted_suffix", "encryptedSuffix"],
  ["unencrypted_regex", "unencryptedRegex"],
  ["encrypted_regex", "encryptedRegex"],
  ["unencrypted_comment_regex", "unencryptedCommentRegex"],
  ["encrypted_comment_regex", "encryptedCommentRegex"],
] as const;

export interface SopsMetadata {
  /** One entry per key group; a file with top-level key lists has exactly one group. */
  keyGroups: KeyGroup[];
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  version: string;
  selectors: Selectors;
  macOnlyEncrypted: boolean;
}

const MASTER_KEY_TYPES = ["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"] as const;

/** Why the metadata cannot be used; the caller adds the file name. */
export class MetadataFormatError extends Error {
  override name = "MetadataFormatError";
}

function str(v: TreeValue | undefined, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  throw new MetadataFormatError(`sops.${field} must be a string`);
}

function isEmptyList(v: TreeValue | undefined): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.filter((x) => !(x instanceof Comment)).length === 0);
}

function parseAge(v: TreeValue | undefined, where: string): AgeStanza[] {
  if (isEmptyList(v)) return [];
  if (!Array.isArray(v)) throw new MetadataFormatError(`${where}.age must be a list`);
  return v.filter((x) => !(x instanceof Comment)).map((e, i) => {
    if (!(e instanceof TreeMap)) throw new MetadataFormatError(`${where}.age[${i}] must be a map with recipient and enc`);
    const recipient = str(e.get("recipient"), `${where}.age[${i}].recipient`) ?? "";
    const enc = str(e.get("enc"), `${where}.age[${i}].enc`);
    if (!enc) throw new MetadataFormatError(`${where}.age[${i}].enc is missing`);
    return { recipient, enc };
  });
}

function parseGroup(m: TreeMap, where: string): KeyGroup {
  const others = new Map<string, TreeValue>();
  for (const t of MASTER_KEY_TYPES) {
    if (t === "age") continue;
    const v = m.get(t);
    if (!isEmptyList(v)) others.set(t, v!);
  }
  return { age: parseAge(m.get("age"), where), others };
}

function parseBool(v: TreeValue | undefined, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "True") return true;
  if (v === "false" || v === "False") return false;
  throw new MetadataFormatError(`sops.${field} must be true or false`);
}

function parseInt(v: TreeValue | undefined, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "bigint" || typeof v === "number") return Number(v);
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  throw new MetadataFormatError(`sops.${field} must be an integer`);
}

/** Reads the metadata map (the value of the `sops` key). */
export function parseMetadata(m: TreeValue): SopsMetadata {
  if (!(m instanceof TreeMap)) throw new MetadataFormatError("the sops metadata is not a map");
  const top = parseGroup(m, "sops");
  let keyGroups: KeyGroup[];
  // Top-level key lists win over key_groups, as in sops.
  if (top.age.length > 0 || top.others.size > 0) {
    keyGroups = [top];
  } else {
    const kg = m.get("key_groups");
    if (isEmptyList(kg)) throw new MetadataFormatError("no keys found in the sops metadata (no age, pgp, kms… entries)");
    if (!Array.isArray(kg)) throw new MetadataFormatError("sops.key_groups must be a list");
    keyGroups = kg.filter((g) => !(g instanceof Comment)).map((g, i) => {
      if (!(g instanceof TreeMap)) throw new MetadataFormatError(`sops.key_groups[${i}] must be a map`);
      return parseGroup(g, `sops.key_groups[${i}]`);
    });
  }
  const lastModified = str(m.get("lastmodified"), "lastmodified");
  if (!lastModified) throw new MetadataFormatError("sops.lastmodified is missing");
  const selectors: Selectors = {};
  let count = 0;
  for (const [field, prop] of SELECTOR_FIELDS) {
    const v = str(m.get(field), field);
    if (v !== undefined && v !== "") {
      selectors[prop] = v;
      count++;
    }
  }
  if (count > 1) throw new MetadataFormatError("the sops metadata sets more than one of the encrypted/unencrypted suffix/regex selectors");
  if (count === 0) selectors.unencryptedSuffix = "_unencrypted";
  return {
    keyGroups,
    shamirThreshold: parseInt(m.get("shamir_threshold"), "shamir_threshold"),
    lastModified,
    mac: str(m.get("mac"), "mac") ?? "",
    version: str(m.get("version"), "version") ?? "",
    selectors,
    macOnlyEncrypted: parseBool(m.get("mac_only_encrypted"), "mac_only_encrypted"),
  };
}

function groupEntries(g: KeyGroup): Array<[string, TreeValue]> {
  const out: Array<[string, TreeValue]> = [];
  if (g.age.length > 0) {
    out.push(["age", g.age.map((a) => new TreeMap([{ key: "enc", value: a.enc }, { key: "recipient", value: a.recipient }]))]);
  }
  for (const [k, v] of g.others) out.push([k, v]);
  return out;
}

/**
 * The metadata map as sops 3.13 writes it. `binary` omits the default selector (the binary store
 * writes none).
 */
export function metadataToTree(md: SopsMetadata, opts: { binary?: boolean } = {}): TreeMap {
  const entries: Array<[string, TreeValue]> = [];
  if (md.keyGroups.length === 1) {
    entries.push(...groupEntries(md.keyGroups[0]!));
  } else {
    entries.push(["key_groups", md.keyGroups.map((g) => new TreeMap(groupEntries(g).map(([key, value]) => ({ key, value }))))]);
  }
  if (md.shamirThreshold !== 0) entries.push(["shamir_threshold", BigInt(md.shamirThreshold)]);
  entries.push(["lastmodified", md.lastModified], ["mac", md.mac], ["version", md.version]);
  if (md.macOnlyEncrypted) entries.push(["mac_only_encrypted", true]);
  for (const [field, prop] of SELECTOR_FIELDS) {
    const v = md.selectors[prop];
    if (v === undefined) continue;
    if (opts.binary && prop === "unencryptedSuffix" && v === "_unencrypted") continue;
    entries.push([field, v]);
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new TreeMap(entries.map(([key, value]) => ({ key, value })));
}

/** Every age recipient listed anywhere in the metadata. */
export function ageRecipients(md: SopsMetadata): string[] {
  return md.keyGroups.flatMap((g) => g.age.map((a) => a.recipient));
}

export function scalarText(v: Scalar): string {
  return typeof v === "string" ? v : String(v);
}
