/**
 * Decryption of SOPS trees: every selected value is authenticated with its key-path AAD and restored to
 * its type, and the MAC is always verified. Trees are decrypted in memory only.
 */
import type { AgeIdentity } from "../age.js";
import { CipherAuthError, CipherFormatError, decryptValue, looksEncrypted } from "./cipher.js";
import { unwrapDataKey } from "./datakey.js";
import { SopsAuthenticationError, SopsMacMismatchError, SopsMetadataError, SopsValueFormatError, type SopsLocation } from "./errors.js";
import { decryptMac, MacHasher, macAad } from "./mac.js";
import type { SopsMetadata } from "./metadata.js";
import { compileSelectors } from "./selectors.js";
import { cloneValue, Comment, type TreeMap } from "./tree.js";
import { decodeValue, macBytes, ValueTypeError } from "./values.js";
import { walkDocument, WalkError } from "./walk.js";

export interface OpenOptions {
  /** Binary store: `str` values stay raw bytes. */
  binary?: boolean;
  /** Added to a MAC mismatch message (e.g. how to decrypt multi-document files). */
  macHint?: string;
  /** Collects non-fatal findings (comments that could not be decrypted and are kept as they are). */
  warnings?: string[];
}

export interface DecryptedTrees {
  docs: TreeMap[];
  keyId: string;
  dataKey: Uint8Array;
}

export async function decryptTrees(docs: readonly TreeMap[], md: SopsMetadata, identities: readonly AgeIdentity[], loc: SopsLocation, opts: OpenOptions = {}): Promise<DecryptedTrees> {
  requireMac(md, loc);
  const { dataKey, keyId } = await unwrapDataKey(md, identities, loc);
  return { docs: openTrees(docs, md, dataKey, loc, opts), keyId, dataKey };
}

/** Decrypts with a known data key and verifies the MAC; returns new trees (the input is not changed). */
export function openTrees(docs: readonly TreeMap[], md: SopsMetadata, dataKey: Uint8Array, loc: SopsLocation, opts: OpenOptions = {}): TreeMap[] {
  requireMac(md, loc);
  const selectors = compileSelectors(md.selectors);
  const mac = new MacHasher(md.macOnlyEncrypted);
  const out = docs.map((d, index) => {
    const doc = cloneValue(d);
    const at = (path: string[]): SopsLocation => ({ file: loc.file, index: docs.length > 1 ? index : loc.index, path });
    try {
      walkDocument(doc, (leaf, path, stack) => {
        const isComment = leaf instanceof Comment;
        const encrypted = selectors.shouldEncrypt(path, stack, isComment);
        let v = leaf;
        if (encrypted) {
          if (isComment) {
            // Comments are not covered by the MAC; one that does not decrypt (sops < 3.0 left them in
            // clear; editors move them) is kept as it is, as sops does.
            if (looksEncrypted(leaf.text)) {
              try {
                v = decryptLeaf(leaf.text, dataKey, path, at, opts.binary);
              } catch (err) {
                if (!(err instanceof SopsAuthenticationError || err instanceof SopsValueFormatError)) throw err;
                opts.warnings?.push(`${at(path).file}: a comment under ${path.length > 0 ? path.join(".") : "the top level"} could not be decrypted and is kept encrypted`);
              }
            }
          } else if (typeof leaf !== "string") {
            throw new SopsValueFormatError(at(path), "expected an encrypted value (ENC[…]) but found a plaintext value; the file was edited after encryption — re-encrypt it with `seal encrypt`");
          } else if (leaf !== "") {
            v = decryptLeaf(leaf, dataKey, path, at, opts.binary);
          }
        }
        if (!(v instanceof Comment)) mac.add(macBytes(v), encrypted);
        return v;
      });
    } catch (err) {
      if (err instanceof WalkError) throw new SopsValueFormatError(at(err.path), err.message);
      throw err;
    }
    return doc;
  });
  verifyMac(md, mac.hex(), dataKey, loc, opts.macHint);
  return out;
}

function decryptLeaf(enc: string, dataKey: Uint8Array, path: string[], at: (p: string[]) => SopsLocation, binary?: boolean) {
  const aad = `${path.join(":")}:`;
  try {
    const { bytes, type } = decryptValue(enc, dataKey, aad);
    return decodeValue(bytes, type, binary);
  } catch (err) {
    if (err instanceof CipherAuthError) {
      throw new SopsAuthenticationError(
        at(path),
        "the value failed authentication: it was altered, moved here from another key, or encrypted with another data key. Restore the file from Git or re-encrypt it.",
      );
    }
    if (err instanceof CipherFormatError) throw new SopsValueFormatError(at(path), `${err.message}; restore the file from Git or re-encrypt it`);
    if (err instanceof ValueTypeError) throw new SopsValueFormatError(at(path), `${err.message}; re-encrypt the file`);
    throw err;
  }
}

/** A file without a MAC is refused up front: there is nothing to verify its integrity against. */
function requireMac(md: SopsMetadata, loc: SopsLocation): void {
  if (md.mac === "") {
    throw new SopsMacMismatchError(
      { file: loc.file, index: loc.index },
      "MAC mismatch: the file has no MAC (sops.mac is missing), so its integrity cannot be verified. Re-encrypt it with `seal encrypt` or `sops -e`.",
    );
  }
}

function verifyMac(md: SopsMetadata, computed: string, dataKey: Uint8Array, loc: SopsLocation, hint = ""): void {
  const where = { file: loc.file, index: loc.index };
  const aad = macAad(md.lastModified);
  if (aad === undefined) throw new SopsMetadataError(where, "sops.lastmodified is not an RFC 3339 time; restore the file from Git");
  let stored: string;
  try {
    stored = decryptMac(md.mac, dataKey, aad);
  } catch (err) {
    if (err instanceof CipherAuthError) {
      throw new SopsMacMismatchError(where, "MAC mismatch: the stored MAC failed authentication (sops.mac or sops.lastmodified was altered). Restore the file from Git or re-encrypt it.");
    }
    throw new SopsMetadataError(where, `sops.mac is garbled: ${(err as Error).message}`);
  }
  if (stored !== computed) {
    throw new SopsMacMismatchError(
      where,
      `MAC mismatch: values were changed, added, removed or reordered after encryption (or edited without sops). Restore the file from Git or re-encrypt it.${hint}`,
    );
  }
}
