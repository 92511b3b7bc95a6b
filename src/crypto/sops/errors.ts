/**
 * Typed SOPS errors. Every message names the file (and document / key path where known) and what to
 * do about it. No message ever contains a decrypted value or key material.
 */

/** Where a problem was found: the file, the YAML document index, the key path inside it. */
export interface SopsLocation {
  file: string;
  index?: number;
  path?: readonly string[];
}

function where(loc: SopsLocation): string {
  let s = loc.file;
  if (loc.index !== undefined && loc.index > 0) s += ` (document ${loc.index + 1})`;
  if (loc.path && loc.path.length > 0) s += ` at key ${formatPath(loc.path)}`;
  return s;
}

/** `a.b[0].c`-style rendering of a key path; only keys, never values. */
export function formatPath(path: readonly string[]): string {
  return path.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p))).join(".");
}

export class SopsError extends Error {
  readonly file: string;
  readonly index: number | undefined;
  readonly keyPath: readonly string[] | undefined;
  constructor(loc: SopsLocation, what: string, options?: { cause?: unknown }) {
    super(`${where(loc)}: ${what}`, options);
    this.name = new.target.name;
    this.file = loc.file;
    this.index = loc.index;
    this.keyPath = loc.path;
  }
}

/** The bytes are not valid YAML/JSON/dotenv, or the document shape is not one SOPS accepts. */
export class SopsParseError extends SopsError {}

/** The `sops` metadata block is missing, garbled, or contradicts itself. */
export class SopsMetadataError extends SopsError {}

/** An `ENC[…]` value is malformed (not the AES256_GCM format, bad base64, unknown type). */
export class SopsValueFormatError extends SopsError {}

/** None of the held identities can unwrap the data key. */
export class SopsNoMatchingKeyError extends SopsError {
  readonly recipients: readonly string[];
  readonly heldKeys: readonly string[];
  constructor(loc: SopsLocation, recipients: readonly string[], heldKeys: readonly string[], extra = "") {
    const to = recipients.length > 0 ? recipients.map(shortRecipient).join(", ") : "no age recipients";
    const have = heldKeys.length > 0 ? heldKeys.map(shortRecipient).join(", ") : "none";
    super(
      loc,
      `cannot decrypt the data key: the file is encrypted to ${to}; your keys: ${have}.${extra} ` +
        "Use a key file holding one of those identities (--key, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY), " +
        "or ask someone who has one to run `seal updatekeys --add-age <your recipient>`.",
    );
    this.recipients = recipients;
    this.heldKeys = heldKeys;
  }
}

/** The file's data key is wrapped only with master keys this implementation does not support (pgp, kms…). */
export class SopsUnsupportedKeyError extends SopsError {}

/** A value failed AES-GCM authentication (tampered, moved to another key path, or wrong data key). */
export class SopsAuthenticationError extends SopsError {}

/** The recomputed MAC differs from the stored one (values added, removed, reordered or edited). */
export class SopsMacMismatchError extends SopsError {}

/** Encryption refused (already encrypted, no recipients, reserved key…). */
export class SopsEncryptError extends SopsError {}

function shortRecipient(r: string): string {
  // Post-quantum recipients are ~2000 characters; a prefix identifies them well enough in a message.
  return r.length > 72 ? `${r.slice(0, 24)}…${r.slice(-8)}` : r;
}
