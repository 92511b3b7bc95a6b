/**
 * Encryption of SOPS trees: a fresh 32-byte data key per file, a fresh IV per value, the key path as
 * AAD, the MAC over the plaintext, and the data key wrapped to every age recipient.
 */
import { randomBytes } from "node:crypto";
import { encryptValue } from "./cipher.js";
import { wrapKeyGroups } from "./datakey.js";
import { SopsEncryptError, type SopsLocation } from "./errors.js";
import { encryptMac, lastModifiedNow, MacHasher } from "./mac.js";
import { SOPS_FORMAT_VERSION, type KeyGroup, type Selectors, type SopsMetadata } from "./metadata.js";
import { compileSelectors } from "./selectors.js";
import { cloneValue, Comment, type TreeMap } from "./tree.js";
import { encodeValue, macBytes, ValueTypeError } from "./values.js";
import { walkDocument } from "./walk.js";

export interface EncryptSettings {
  /** Recipients per key group; one group is the normal case. */
  keyGroups: string[][];
  shamirThreshold?: number;
  selectors: Selectors;
  macOnlyEncrypted?: boolean;
  now?: Date;
}

export interface EncryptedTrees {
  docs: TreeMap[];
  metadata: SopsMetadata;
}

export async function encryptTrees(docs: readonly TreeMap[], settings: EncryptSettings, loc: SopsLocation): Promise<EncryptedTrees> {
  docs.forEach((d, index) => {
    if (d.has("sops")) throw new SopsEncryptError({ file: loc.file, index }, "the file is already encrypted (it has a top-level sops key); decrypt it first or use `seal rotate`");
  });
  const groups = settings.keyGroups.filter((g) => g.length > 0);
  if (groups.length === 0) {
    throw new SopsEncryptError(loc, "no age recipients: pass --age age1… or add a creation_rules entry with age: to .sops.yaml");
  }
  const dataKey = randomBytes(32);
  const keyGroups = await wrapKeyGroups(dataKey, groups, settings.shamirThreshold ?? 0);
  return sealTrees(docs, dataKey, keyGroups, settings, loc);
}

/** Encrypts with a given data key and already-wrapped key groups (used by rotate as well). */
export function sealTrees(docs: readonly TreeMap[], dataKey: Uint8Array, keyGroups: KeyGroup[], settings: EncryptSettings, loc: SopsLocation): EncryptedTrees {
  const selectors = compileSelectors(settings.selectors);
  const macOnly = settings.macOnlyEncrypted ?? false;
  const mac = new MacHasher(macOnly);
  const out = docs.map((d, index) => {
    const doc = cloneValue(d);
    walkDocument(doc, (leaf, path, stack) => {
      const isComment = leaf instanceof Comment;
      const encrypted = selectors.shouldEncrypt(path, stack, isComment);
      try {
        if (!isComment) mac.add(macBytes(leaf), encrypted);
        if (!encrypted) return leaf;
        const { type, bytes } = encodeValue(leaf);
        const enc = encryptValue(bytes, type, dataKey, `${path.join(":")}:`);
        return isComment ? new Comment(enc, leaf.inline) : enc;
      } catch (err) {
        if (err instanceof ValueTypeError) throw new SopsEncryptError({ file: loc.file, index: docs.length > 1 ? index : loc.index, path }, err.message);
        throw err;
      }
    });
    return doc;
  });
  const lastModified = lastModifiedNow(settings.now);
  const metadata: SopsMetadata = {
    keyGroups,
    shamirThreshold: keyGroups.length > 1 ? (settings.shamirThreshold || keyGroups.length) : 0,
    lastModified,
    mac: encryptMac(mac.hex(), dataKey, lastModified),
    version: SOPS_FORMAT_VERSION,
    selectors: settings.selectors,
    macOnlyEncrypted: macOnly,
  };
  return { docs: out, metadata };
}
