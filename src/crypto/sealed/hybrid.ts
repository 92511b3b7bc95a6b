/**
 * One sealed item, byte-compatible with Sealed Secrets' HybridEncrypt/HybridDecrypt:
 *
 *   uint16be L | RSA-OAEP(SHA-256, MGF1-SHA-256, label)(sessionKey) [L bytes] | AES-GCM(sessionKey, nonce 0^12)(plaintext) | tag[16]
 *
 * node:crypto does both halves (OpenSSL uses the OAEP digest for MGF1 too, as Go does).
 */
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";

const SESSION_KEY_BYTES = 32; // AES-256, as kubeseal uses.
const TAG_BYTES = 16;
// A fixed zero nonce is safe only because every item gets a fresh random session key, used once.
const ZERO_NONCE = Buffer.alloc(12);

/** Seals one value. A new session key is drawn for every call: never cache or reuse it (see ZERO_NONCE). */
export function hybridEncrypt(publicKey: KeyObject, plaintext: Uint8Array, label: Uint8Array): Buffer {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  const rsaPart = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: label },
    sessionKey,
  );
  const cipher = createCipheriv("aes-256-gcm", sessionKey, ZERO_NONCE, { authTagLength: TAG_BYTES });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  sessionKey.fill(0);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(rsaPart.length);
  return Buffer.concat([prefix, rsaPart, body]);
}

/** The two halves of a sealed item, split by its length prefix. */
export interface SealedItemParts {
  rsaPart: Buffer;
  aesPart: Buffer;
}

/** Splits an item, or says why its framing is truncated (the same checks as upstream, plus the tag length). */
export function splitItem(bytes: Buffer): SealedItemParts | { problem: string } {
  if (bytes.length < 2) return { problem: `${bytes.length} byte(s), shorter than the 2-byte length prefix` };
  const rsaLength = bytes.readUInt16BE(0);
  if (bytes.length < 2 + rsaLength) {
    return { problem: `its length prefix announces a ${rsaLength}-byte RSA part but only ${bytes.length - 2} bytes follow` };
  }
  const aesPart = bytes.subarray(2 + rsaLength);
  if (aesPart.length < TAG_BYTES) {
    return { problem: `its AES-GCM part has ${aesPart.length} bytes, shorter than the 16-byte authentication tag` };
  }
  return { rsaPart: bytes.subarray(2, 2 + rsaLength), aesPart };
}

/**
 * Opens the session key with one private key and label; null when this key (or label) is not the one —
 * the normal case while trying every key of a keyring.
 */
export function openSessionKey(privateKey: KeyObject, modulusBytes: number, rsaPart: Buffer, label: Uint8Array): Buffer | null {
  if (rsaPart.length === 0 || rsaPart.length > modulusBytes) return null; // Go rejects L > k too.
  // Go reads a short RSA part as a big-endian integer; OpenSSL wants exactly k bytes, so restore the leading zeros.
  const input = rsaPart.length === modulusBytes ? rsaPart : Buffer.concat([Buffer.alloc(modulusBytes - rsaPart.length), rsaPart]);
  let sessionKey: Buffer;
  try {
    sessionKey = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: label },
      input,
    );
  } catch {
    return null;
  }
  // kubeseal always writes 32 bytes; Go's aes.NewCipher would also take 16/24, so accept what it accepts.
  return [16, 24, 32].includes(sessionKey.length) ? sessionKey : null;
}

/** Opens the AES-GCM part with a session key; null when authentication fails (the data was altered). */
export function openPayload(sessionKey: Buffer, aesPart: Buffer): Buffer | null {
  const tag = aesPart.subarray(aesPart.length - TAG_BYTES);
  const cipherText = aesPart.subarray(0, aesPart.length - TAG_BYTES);
  const algorithm = `aes-${sessionKey.length * 8}-gcm` as "aes-256-gcm";
  try {
    const decipher = createDecipheriv(algorithm, sessionKey, ZERO_NONCE, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(cipherText), decipher.final()]);
  } catch {
    return null;
  }
}
