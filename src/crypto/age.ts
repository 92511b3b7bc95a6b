/**
 * age identities and recipients as the age CLI writes them (keys.txt with `#` comments), and the
 * wrap/unwrap of a SOPS data key (an armored age file per recipient). Key material never appears in
 * messages, toString, JSON or util.inspect.
 */
import { createHash, createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import { inspect } from "node:util";
import type { Decrypter } from "age-encryption";
import { MLKEM768X25519 } from "@noble/post-quantum/hybrid.js";
import { bech32 } from "@scure/base";
import { AgeFileError, decryptX25519, x25519KeyFromScalar, type X25519Key } from "./age-x25519.js";

export type AgeKeyType = "X25519" | "mlkem768x25519";

// Bech32 (BIP 173) as age uses it: without the 90-character limit (post-quantum recipients are ~2000 characters).
function bech32Encode(hrp: string, bytes: Uint8Array): string {
  return bech32.encode(hrp.toLowerCase(), bech32.toWords(bytes), false);
}

/** Undefined on any error (mixed case, bad checksum, bad padding). */
function bech32Decode(s: string): { hrp: string; bytes: Uint8Array } | undefined {
  try {
    const { prefix, words } = bech32.decode(s as `${string}1${string}`, false);
    return { hrp: prefix, bytes: bech32.fromWords(words) };
  } catch {
    return undefined;
  }
}

/** A key file or key text could not be used; names the source and line, never the key. */
export class AgeKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AgeKeyError";
  }
}

/** A recipient string is not one seal can encrypt to. */
export class AgeRecipientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgeRecipientError";
  }
}

const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

// age-encryption (and the noble ciphers under it) costs ~16 MiB of a sidecar's memory; the daemon's
// hot path (armor + X25519 unwrap) is native, so the package loads only when something needs it.
let ageModule: Promise<typeof import("age-encryption")> | undefined;
const ageEncryption = () => (ageModule ??= import("age-encryption"));

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";

/** Strict age armor decoding (as typage's): 64-column lines, canonical padded base64, exact header and footer. */
export function decodeAgeArmor(text: string): Uint8Array {
  const lines = text.trim().replace(/\r\n/g, "\n").split("\n");
  if (lines.length < 3 || lines[0] !== ARMOR_BEGIN || lines[lines.length - 1] !== ARMOR_END) throw new Error("invalid armor header or footer");
  const body = lines.slice(1, -1);
  body.forEach((line, i) => {
    const last = i === body.length - 1;
    if (line.length > 64 || (!last && line.length !== 64) || !/^[A-Za-z0-9+/=]*$/.test(line)) throw new Error("invalid armor line");
  });
  const b64 = body.join("");
  const bytes = Buffer.from(b64, "base64");
  if (b64.length === 0 || bytes.toString("base64") !== b64) throw new Error("non-canonical base64 in armor");
  return new Uint8Array(bytes);
}

/** One age identity (private key). Holds the secret privately; prints as its public recipient only. */
export class AgeIdentity {
  readonly type: AgeKeyType;
  /** The public recipient string (`age1…` or `age1pq1…`). */
  readonly recipient: string;
  /** Where it was loaded from (a file path, an env var name), for messages. */
  readonly source: string;
  readonly #secret: string;
  #decrypter: Promise<Decrypter> | undefined;
  #x25519: X25519Key | undefined;

  constructor(secret: string, source: string) {
    const parsed = bech32Decode(secret);
    if (!parsed || secret !== secret.toUpperCase()) throw new AgeKeyError(`${source}: not a valid age identity`);
    if (parsed.hrp === "age-secret-key-" && parsed.bytes.length === 32) {
      this.type = "X25519";
      this.recipient = bech32Encode("age", x25519Public(parsed.bytes));
    } else if (parsed.hrp === "age-secret-key-pq-" && parsed.bytes.length === 32) {
      this.type = "mlkem768x25519";
      this.recipient = bech32Encode("age1pq", MLKEM768X25519.getPublicKey(parsed.bytes));
    } else {
      throw new AgeKeyError(`${source}: unsupported age identity type (expected an X25519 or post-quantum identity as age-keygen writes it)`);
    }
    this.#secret = secret;
    this.source = source;
  }

  /** Unwraps an armored age file (a SOPS `enc` value); null when this identity is not a recipient of it. */
  async unwrap(armored: string): Promise<Uint8Array | null> {
    let file: Uint8Array;
    try {
      file = decodeAgeArmor(armored);
    } catch (err) {
      throw new AgeKeyError("the wrapped data key is not a valid armored age file", { cause: err });
    }
    if (this.type === "X25519") {
      // Native fast path; it defers to age-encryption for anything unusual.
      this.#x25519 ??= x25519KeyFromScalar(bech32Decode(this.#secret)!.bytes);
      try {
        const r = decryptX25519(file, this.#x25519);
        if (r !== "fallback") return r === null ? null : new Uint8Array(r);
      } catch (err) {
        if (err instanceof AgeFileError) throw new AgeKeyError(`the data key wrapped for ${keyIdOf(this.recipient)} is corrupted (${err.message})`, { cause: err });
        throw err;
      }
    }
    const d = await this.#getDecrypter();
    try {
      return await d.decrypt(file);
    } catch {
      // age-encryption does not distinguish "not for me" from "for me but broken"; both mean: this key cannot.
      return null;
    }
  }

  /** The `AGE-SECRET-KEY-…` text, for writing a key file or a Kubernetes Secret. Handle with care. */
  revealSecret(): string {
    return this.#secret;
  }

  #getDecrypter(): Promise<Decrypter> {
    // Import the X25519 key once: the pkcs8 import dominates the cost of an unwrap (~5 ms).
    this.#decrypter ??= (async () => {
      const d = new (await ageEncryption()).Decrypter();
      if (this.type === "X25519") {
        const scalar = bech32Decode(this.#secret)!.bytes;
        try {
          const key = await webcrypto.subtle.importKey("pkcs8", Buffer.concat([X25519_PKCS8_PREFIX, scalar]), { name: "X25519" }, false, ["deriveBits"]);
          d.addIdentity(key as unknown as Parameters<Decrypter["addIdentity"]>[0]);
        } catch {
          d.addIdentity(this.#secret);
        }
      } else {
        d.addIdentity(this.#secret);
      }
      return d;
    })();
    return this.#decrypter;
  }

  toString(): string {
    return `age identity for ${keyIdOf(this.recipient)} (from ${this.source})`;
  }

  toJSON(): { recipient: string; source: string } {
    return { recipient: this.recipient, source: this.source };
  }

  [inspect.custom](): string {
    return `AgeIdentity(${keyIdOf(this.recipient)}, ${this.source})`;
  }
}

function x25519Public(scalar: Uint8Array): Uint8Array {
  const priv = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, scalar]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/**
 * Parses identities in the format age-keygen writes: one per line, `#` comment lines and empty lines
 * ignored, CRLF tolerated. Errors name the source and the line number, never the line.
 */
export function parseAgeIdentities(text: string, source: string): AgeIdentity[] {
  if (text.startsWith("age-encryption.org/") || text.trimStart().startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    throw new AgeKeyError(`${source}: passphrase-protected age key files are not supported; decrypt it with \`age -d\` into a protected location first`);
  }
  const out: AgeIdentity[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("AGE-PLUGIN-")) {
      throw new AgeKeyError(`${source} line ${i + 1}: age plugin identities are not supported; use an identity made by age-keygen or seal keygen`);
    }
    if (!line.startsWith("AGE-SECRET-KEY-")) {
      throw new AgeKeyError(`${source} line ${i + 1}: not an age identity (expected a secret key line as written by age-keygen)`);
    }
    out.push(new AgeIdentity(line, `${source} line ${i + 1}`));
  }
  if (out.length === 0) throw new AgeKeyError(`${source}: no age identity found (expected secret key lines as written by age-keygen)`);
  return out;
}

/** SOPS_AGE_KEY style text: every whitespace-separated word on a non-comment line is an identity. */
export function parseAgeKeyText(text: string, source: string): AgeIdentity[] {
  const words = text
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#"))
    .flatMap((l) => l.split(/\s+/))
    .filter((w) => w !== "");
  return parseAgeIdentities(words.join("\n"), source);
}

export function ageRecipientOf(identity: AgeIdentity): string {
  return identity.recipient;
}

/**
 * A stable, non-secret id for a key: the recipient itself for X25519 (what `sops` files list), and
 * `age1pq1:` plus a SHA-256 fingerprint for post-quantum recipients, which are ~2000 characters long.
 */
export function keyIdOf(key: AgeIdentity | string): string {
  const r = typeof key === "string" ? key : key.recipient;
  if (!r.startsWith("age1pq1")) return r;
  return `age1pq1:${createHash("sha256").update(r).digest("hex").slice(0, 16)}`;
}

/** Validates a recipient string (what `--age` and `.sops.yaml` give) and returns it trimmed. */
export function parseAgeRecipient(s: string): string {
  const r = s.trim();
  if (r.startsWith("ssh-")) throw new AgeRecipientError(`SSH recipients are not supported by seal (${r.slice(0, 20)}…); use an age1… recipient`);
  const d = bech32Decode(r);
  if (!d || r !== r.toLowerCase()) throw new AgeRecipientError(`"${r.slice(0, 80)}" is not an age recipient (expected age1…)`);
  if (d.hrp === "age" && d.bytes.length === 32) return r;
  if (d.hrp === "age1pq" && d.bytes.length === 1216) return r;
  throw new AgeRecipientError(`"${r.slice(0, 80)}" is not a supported age recipient (X25519 age1… or post-quantum age1pq1…)`);
}

/** Wraps a data key to one recipient: an armored age file, exactly as sops stores it in `enc`. */
export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  const { Encrypter, armor } = await ageEncryption();
  const e = new Encrypter();
  e.addRecipient(parseAgeRecipient(recipient));
  return armor.encode(await e.encrypt(dataKey));
}

/** A new identity, as age-keygen would write it (X25519 unless `postQuantum`). */
export async function generateAgeIdentity(opts: { postQuantum?: boolean } = {}): Promise<AgeIdentity> {
  const { generateHybridIdentity, generateX25519Identity } = await ageEncryption();
  const secret = opts.postQuantum ? await generateHybridIdentity() : await generateX25519Identity();
  return new AgeIdentity(secret, "generated");
}

/** The key-file text age-keygen writes: created date, public key comment, the identity. */
export function formatAgeKeyFile(identity: AgeIdentity, now = new Date()): string {
  const created = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return `# created: ${created}\n# public key: ${identity.recipient}\n${identity.revealSecret()}\n`;
}
