/**
 * File-level SOPS operations for the CLI: bytes in, bytes out, in every supported format. Decrypted
 * plaintext is handed out as a SecretValue; nothing here touches the disk.
 */
import { randomBytes } from "node:crypto";
import type { AgeIdentity } from "../age.js";
import { SecretValue } from "../secret-value.js";
import { decryptTrees, openTrees } from "./decrypt.js";
import { unwrapDataKey, wrapKeyGroups } from "./datakey.js";
import { encryptTrees, sealTrees } from "./encrypt.js";
import { SopsEncryptError, SopsUnsupportedKeyError, type SopsLocation } from "./errors.js";
import { emitEncrypted, emitPlain, loadEncrypted, loadPlain, type SopsFormat } from "./format/index.js";
import { ageRecipients, type Selectors, type SopsMetadata } from "./metadata.js";
import type { TreeMap } from "./tree.js";

export interface DecryptFileOptions {
  format: SopsFormat;
  file: string;
  identities: readonly AgeIdentity[];
}

export interface DecryptedFile {
  /** The plaintext file as sops -d would print it. */
  plaintext: SecretValue;
  keyId: string;
  metadata: SopsMetadata;
  /** Non-fatal findings, e.g. a comment that could not be decrypted. */
  warnings: string[];
}

export async function decryptSopsFile(bytes: Uint8Array, opts: DecryptFileOptions): Promise<DecryptedFile> {
  const loc: SopsLocation = { file: opts.file };
  const enc = loadEncrypted(bytes, opts.format, loc);
  const warnings: string[] = [];
  const { docs, keyId } = await decryptTrees(enc.docs, enc.metadata, opts.identities, loc, { binary: opts.format === "binary", warnings });
  return { plaintext: new SecretValue(emitPlain(docs, opts.format, loc)), keyId, metadata: enc.metadata, warnings };
}

export interface EncryptFileOptions {
  format: SopsFormat;
  file: string;
  /** age recipients (one key group); or keyGroups for several. */
  recipients?: string[];
  keyGroups?: string[][];
  shamirThreshold?: number;
  /** When none is set: `^(data|stringData)$` for files holding a `kind: Secret`, else `_unencrypted`. */
  selectors?: Selectors;
  macOnlyEncrypted?: boolean;
  now?: Date;
}

/** True when any document is a Kubernetes Secret (they get `encrypted_regex: ^(data|stringData)$`). */
function holdsSecret(docs: TreeMap[]): boolean {
  return docs.some((d) => d.get("kind") === "Secret");
}

export function defaultSelectors(docs: TreeMap[], format: SopsFormat): Selectors {
  if (format !== "binary" && holdsSecret(docs)) return { encryptedRegex: "^(data|stringData)$" };
  return { unencryptedSuffix: "_unencrypted" };
}

function hasSelector(s: Selectors | undefined): s is Selectors {
  return s !== undefined && Object.values(s).some((v) => v !== undefined);
}

export async function encryptSopsFile(bytes: Uint8Array, opts: EncryptFileOptions): Promise<Uint8Array> {
  const loc: SopsLocation = { file: opts.file };
  const docs = loadPlain(bytes, opts.format, loc);
  if (docs.length === 0 || (opts.format !== "binary" && docs.every((d) => d.entries().length === 0))) {
    throw new SopsEncryptError(loc, "nothing to encrypt: the file has no keys");
  }
  if (opts.format === "dotenv" && docs[0]!.entries().some((e) => e.key.startsWith("sops_"))) {
    throw new SopsEncryptError(loc, "dotenv keys starting with sops_ are reserved for the SOPS metadata; rename them");
  }
  return encryptSopsTrees(docs, opts);
}

/** Whether the bytes are an encrypted SOPS file of that format (has the metadata). */
export function isEncryptedFile(bytes: Uint8Array, format: SopsFormat, file: string): boolean {
  try {
    loadEncrypted(bytes, format, { file });
    return true;
  } catch {
    return false;
  }
}

function onlyAge(md: SopsMetadata, loc: SopsLocation, what: string): void {
  if (md.keyGroups.some((g) => g.others.size > 0)) {
    throw new SopsUnsupportedKeyError(loc, `the file also has non-age master keys (pgp, kms…); seal cannot ${what} without dropping them — use sops for this file`);
  }
}

export interface RotateOptions {
  format: SopsFormat;
  file: string;
  identities: readonly AgeIdentity[];
  now?: Date;
}

/** New data key, every value re-encrypted, same recipients and settings. */
export async function rotateSopsFile(bytes: Uint8Array, opts: RotateOptions): Promise<Uint8Array> {
  const loc: SopsLocation = { file: opts.file };
  const enc = loadEncrypted(bytes, opts.format, loc);
  onlyAge(enc.metadata, loc, "rotate the data key");
  const { docs } = await decryptTrees(enc.docs, enc.metadata, opts.identities, loc, { binary: opts.format === "binary" });
  const md = enc.metadata;
  const groups = md.keyGroups.map((g) => g.age.map((a) => a.recipient));
  const dataKey = randomBytes(32);
  const keyGroups = await wrapKeyGroups(dataKey, groups, md.shamirThreshold);
  const out = sealTrees(docs, dataKey, keyGroups, { keyGroups: groups, shamirThreshold: md.shamirThreshold, selectors: md.selectors, macOnlyEncrypted: md.macOnlyEncrypted, now: opts.now }, loc);
  return emitEncrypted(out, opts.format);
}

export interface UpdateKeysOptions {
  format: SopsFormat;
  file: string;
  identities: readonly AgeIdentity[];
  add?: string[];
  remove?: string[];
}

export interface UpdateKeysResult {
  bytes: Uint8Array;
  added: string[];
  removed: string[];
}

/** Re-wraps the same data key for a new recipient set; values, MAC and lastmodified are untouched. */
export async function updateSopsFileKeys(bytes: Uint8Array, opts: UpdateKeysOptions): Promise<UpdateKeysResult> {
  const loc: SopsLocation = { file: opts.file };
  const enc = loadEncrypted(bytes, opts.format, loc);
  onlyAge(enc.metadata, loc, "update the recipients");
  if (enc.metadata.keyGroups.length !== 1) throw new SopsUnsupportedKeyError(loc, "updatekeys supports files with one key group only; use sops for key groups");
  const { dataKey } = await unwrapDataKey(enc.metadata, opts.identities, loc);
  // Prove the key opens this file (GCM + MAC) before re-wrapping it for anyone else.
  openTrees(enc.docs, enc.metadata, dataKey, loc, { binary: opts.format === "binary" });
  const current = ageRecipients(enc.metadata);
  const remove = new Set(opts.remove ?? []);
  const next = [...current.filter((r) => !remove.has(r)), ...(opts.add ?? []).filter((r) => !current.includes(r))];
  const unique = [...new Set(next)];
  if (unique.length === 0) throw new SopsEncryptError(loc, "removing these recipients would leave nobody able to decrypt the file");
  const kept = enc.metadata.keyGroups[0]!.age.filter((a) => unique.includes(a.recipient));
  const [fresh] = await wrapKeyGroups(dataKey, [unique.filter((r) => !kept.some((k) => k.recipient === r))], 0);
  const metadata: SopsMetadata = { ...enc.metadata, keyGroups: [{ age: [...kept, ...fresh!.age], others: new Map() }] };
  return {
    bytes: emitEncrypted({ docs: enc.docs, metadata }, opts.format),
    added: unique.filter((r) => !current.includes(r)),
    removed: current.filter((r) => !unique.includes(r)),
  };
}

/** Encrypts documents built in memory (e.g. a Secret made from literals) without a plaintext file. */
export async function encryptSopsTrees(docs: TreeMap[], opts: Omit<EncryptFileOptions, "format"> & { format?: SopsFormat }): Promise<Uint8Array> {
  const format = opts.format ?? "yaml";
  const loc: SopsLocation = { file: opts.file };
  const selectors = hasSelector(opts.selectors) ? opts.selectors : defaultSelectors(docs, format);
  const enc = await encryptTrees(docs, {
    keyGroups: opts.keyGroups ?? [opts.recipients ?? []],
    shamirThreshold: opts.shamirThreshold,
    selectors,
    macOnlyEncrypted: opts.macOnlyEncrypted,
    now: opts.now,
  }, loc);
  return emitEncrypted(enc, format);
}
