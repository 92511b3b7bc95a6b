/**
 * What changed between two versions of one SOPS file, with or without a key.
 *
 * Without a key: sops keeps a value's IV (so its ciphertext) when the value did not change and the data
 * key stayed, so two `ENC[…]` strings at the same key path are equal exactly when nothing changed there.
 * A file whose data key changed (rotation) has every value's ciphertext changed: it is reported as
 * re-encrypted, its values not comparable. The data key is known to be the same when any recipient's
 * wrapped key (`enc`) or any value's ciphertext is identical on both sides.
 * With a key: both sides are decrypted in memory (MAC verified) and compared per value; no value is ever
 * returned, only key paths.
 */
import type { AgeIdentity } from "../age.js";
import { looksEncrypted } from "./cipher.js";
import { decryptTrees } from "./decrypt.js";
import type { SopsLocation } from "./errors.js";
import { loadEncrypted, type EncryptedFile, type SopsFormat } from "./format/index.js";
import { ageRecipients } from "./metadata.js";
import { Comment, TreeMap, type TreeValue } from "./tree.js";
import { macBytes } from "./values.js";

export type KeyChange = "added" | "removed" | "changed";
const CHANGE_ORDER: readonly KeyChange[] = ["changed", "added", "removed"];

export interface KeyDiff {
  /** Key path for display: `data.password`, `items[0].token`; `#2 ` prefix for document 2 of several. */
  path: string;
  change: KeyChange;
  /** Whether the value is encrypted (on the side(s) it exists). */
  encrypted: boolean;
}

export interface SopsFileDiff {
  /** The data key changed (rotation): ciphertexts of unchanged values differ too. */
  reencrypted: boolean;
  /** True when values were compared decrypted (a key opened both sides). */
  decrypted: boolean;
  keys: KeyDiff[];
  /** Encrypted values present on both sides and equal (by ciphertext, or by plaintext with a key). */
  unchanged: number;
  /** Encrypted values present on both sides whose equality cannot be told (re-encrypted, no key). */
  notComparable: number;
  recipientsAdded: string[];
  recipientsRemoved: string[];
}

interface Leaf {
  /** What equality compares: the ciphertext, or a plaintext's type and bytes. */
  token: string;
  encrypted: boolean;
}

/** Every leaf of the documents by display path (list items by index; comments skipped). */
function leaves(docs: readonly TreeMap[]): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const visit = (v: TreeValue | Comment, path: string): void => {
    if (v instanceof Comment) return;
    if (v instanceof TreeMap) {
      for (const e of v.entries()) visit(e.value, path === "" || path.endsWith(" ") ? `${path}${segment(e.key)}` : `${path}.${segment(e.key)}`);
      return;
    }
    if (Array.isArray(v)) {
      let i = 0;
      for (const x of v) if (!(x instanceof Comment)) visit(x, `${path}[${i++}]`);
      return;
    }
    if (typeof v === "string" && looksEncrypted(v)) out.set(path, { token: `enc:${v}`, encrypted: true });
    else out.set(path, { token: `${typeof v}:${Buffer.from(macBytes(v)).toString("hex")}`, encrypted: false });
  };
  docs.forEach((d, i) => visit(d, docs.length > 1 ? `#${i + 1} ` : ""));
  return out;
}

function segment(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** Decrypted leaves, tokens over the plaintext, so equal values compare equal across data keys. */
async function plainLeaves(file: EncryptedFile, identities: readonly AgeIdentity[], loc: SopsLocation, binary: boolean): Promise<Map<string, Leaf>> {
  const { docs } = await decryptTrees(file.docs, file.metadata, identities, loc, { binary });
  const cipher = leaves(file.docs);
  const out = leaves(docs);
  for (const [p, leaf] of out) leaf.encrypted = cipher.get(p)?.encrypted ?? false;
  return out;
}

export interface SopsDiffOptions {
  format: SopsFormat;
  file: string;
  /** With identities, values are decrypted and compared; both sides must open. */
  identities?: readonly AgeIdentity[];
}

export async function diffSopsFiles(before: Uint8Array, after: Uint8Array, opts: SopsDiffOptions): Promise<SopsFileDiff> {
  const a = loadEncrypted(before, opts.format, { file: `${opts.file} (before)` });
  const b = loadEncrypted(after, opts.format, { file: opts.file });
  const ra = ageRecipients(a.metadata);
  const rb = ageRecipients(b.metadata);
  const cipherA = leaves(a.docs);
  const cipherB = leaves(b.docs);
  const sameStanza = a.metadata.keyGroups.some((g) => g.age.some((s) => b.metadata.keyGroups.some((h) => h.age.some((t) => t.enc === s.enc))));
  let commonEncrypted = 0;
  let sameCipher = false;
  for (const [p, leaf] of cipherA) {
    const other = cipherB.get(p);
    if (!other || !leaf.encrypted || !other.encrypted) continue;
    commonEncrypted++;
    if (other.token === leaf.token) sameCipher = true;
  }
  const reencrypted = commonEncrypted > 0 && !sameStanza && !sameCipher;
  const decrypted = opts.identities !== undefined && opts.identities.length > 0;
  const binary = opts.format === "binary";
  const la = decrypted ? await plainLeaves(a, opts.identities!, { file: `${opts.file} (before)` }, binary) : cipherA;
  const lb = decrypted ? await plainLeaves(b, opts.identities!, { file: opts.file }, binary) : cipherB;

  const keys: KeyDiff[] = [];
  let unchanged = 0;
  let notComparable = 0;
  for (const [p, leaf] of la) {
    const other = lb.get(p);
    if (!other) keys.push({ path: p, change: "removed", encrypted: leaf.encrypted });
    else if (!decrypted && reencrypted && leaf.encrypted && other.encrypted) notComparable++;
    else if (other.token === leaf.token) {
      if (leaf.encrypted) unchanged++;
    }
    else keys.push({ path: p, change: "changed", encrypted: leaf.encrypted || other.encrypted });
  }
  for (const [p, leaf] of lb) if (!la.has(p)) keys.push({ path: p, change: "added", encrypted: leaf.encrypted });
  // Grouped as the summary counts them (stable: file order within a group).
  keys.sort((x, y) => CHANGE_ORDER.indexOf(x.change) - CHANGE_ORDER.indexOf(y.change));
  return {
    reencrypted,
    decrypted,
    keys,
    unchanged,
    notComparable,
    recipientsAdded: rb.filter((r) => !ra.includes(r)),
    recipientsRemoved: ra.filter((r) => !rb.includes(r)),
  };
}

/** The recipients of a SOPS file (to describe one that was added or deleted whole). */
export function sopsFileKeys(bytes: Uint8Array, format: SopsFormat, file: string): { keys: string[]; recipients: string[] } {
  const f = loadEncrypted(bytes, format, { file });
  return { keys: [...leaves(f.docs).keys()], recipients: ageRecipients(f.metadata) };
}
