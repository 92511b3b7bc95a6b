/**
 * The SOPS MAC: upper-case hex SHA-512 over the plaintext bytes of the leaves in document order (only
 * the encrypted ones with mac_only_encrypted), stored encrypted with `lastmodified` as AAD.
 */
import { createHash, type Hash } from "node:crypto";
import { decryptValue, encryptValue } from "./cipher.js";

// SHA-256("sops"): fed first with mac_only_encrypted so such a MAC never equals a full one.
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex");

export class MacHasher {
  readonly #hash: Hash = createHash("sha512");
  constructor(readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.#hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }
  /** Feeds one leaf if the MAC covers it. */
  add(bytes: Uint8Array, encrypted: boolean): void {
    if (!this.macOnlyEncrypted || encrypted) this.#hash.update(bytes);
  }
  hex(): string {
    return this.#hash.digest("hex").toUpperCase();
  }
}

/** Go `time.Parse(RFC3339)` then `Format(RFC3339)`: fractions dropped, a zero offset written `Z`. */
export function macAad(lastModified: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(lastModified);
  if (!m) return undefined;
  const zone = /^(?:[Zz]|[+-]00:00)$/.test(m[3]!) ? "Z" : m[3]!;
  return `${m[1]}T${m[2]}${zone}`;
}

/** sops' `lastmodified`: now, UTC, second precision. */
export function lastModifiedNow(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function encryptMac(macHex: string, dataKey: Uint8Array, lastModified: string): string {
  return encryptValue(Buffer.from(macHex, "utf8"), "str", dataKey, lastModified);
}

export function decryptMac(stored: string, dataKey: Uint8Array, aad: string): string {
  return Buffer.from(decryptValue(stored, dataKey, aad).bytes).toString("utf8");
}
