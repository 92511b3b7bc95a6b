/**
 * The SOPS value cipher: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` with the data key, a 32-byte IV
 * and the key path as additional authenticated data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SopsType } from "./values.js";

const IV_SIZE = 32; // SOPS uses 32-byte GCM nonces, not the usual 12.
const TAG_SIZE = 16;
// Prefix-anchored and not end-anchored, as sops parses it.
const encPattern = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
const b64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncryptedValue {
  data: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  type: string;
}

/** Why an `ENC[` string could not be used; the caller adds file and key path. */
export class CipherFormatError extends Error {
  override name = "CipherFormatError";
}
export class CipherAuthError extends Error {
  override name = "CipherAuthError";
}

export function looksEncrypted(s: string): boolean {
  return s.startsWith("ENC[");
}

export function parseEncrypted(s: string): EncryptedValue {
  const m = encPattern.exec(s);
  if (!m) throw new CipherFormatError("value is not in the ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] format");
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string];
  for (const [name, field] of [["data", data], ["iv", iv], ["tag", tag]] as const) {
    if (!b64.test(field)) throw new CipherFormatError(`the ${name} field of the ENC[…] value is not valid base64`);
  }
  const out = { data: Buffer.from(data, "base64"), iv: Buffer.from(iv, "base64"), tag: Buffer.from(tag, "base64"), type };
  if (out.iv.length === 0) throw new CipherFormatError("the iv field of the ENC[…] value is empty");
  if (out.tag.length !== TAG_SIZE) throw new CipherFormatError(`the tag field of the ENC[…] value is ${out.tag.length} bytes, expected ${TAG_SIZE}`);
  return out;
}

export function formatEncrypted(v: EncryptedValue): string {
  const e = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
  return `ENC[AES256_GCM,data:${e(v.data)},iv:${e(v.iv)},tag:${e(v.tag)},type:${v.type}]`;
}

/** Encrypts one value. Empty plaintext stays the empty string, as sops does. */
export function encryptValue(plaintext: Uint8Array, type: SopsType, key: Uint8Array, aad: string, iv?: Uint8Array): string {
  if (plaintext.length === 0) return "";
  const nonce = iv ?? randomBytes(IV_SIZE);
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(plaintext), c.final()]);
  return formatEncrypted({ data, iv: nonce, tag: c.getAuthTag(), type });
}

/** Decrypts one `ENC[…]` value; throws CipherFormatError or CipherAuthError (never quoting the value). */
export function decryptValue(s: string, key: Uint8Array, aad: string): { bytes: Uint8Array; type: string } {
  const v = parseEncrypted(s);
  return { bytes: openValue(v, key, aad), type: v.type };
}

export function openValue(v: EncryptedValue, key: Uint8Array, aad: string): Uint8Array {
  const d = createDecipheriv("aes-256-gcm", key, v.iv);
  d.setAAD(Buffer.from(aad, "utf8"));
  d.setAuthTag(v.tag);
  try {
    return Buffer.concat([d.update(v.data), d.final()]);
  } catch {
    throw new CipherAuthError("authentication failed");
  }
}
