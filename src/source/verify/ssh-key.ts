/**
 * SSH public keys: the wire format (RFC 4253 strings and mpints) and the one-line text form
 * (`ssh-ed25519 AAAA… comment`), turned into node:crypto keys. Only what commit signatures need:
 * ed25519, ECDSA on P-256/384/521, RSA ≥ 2048 bits, and the security-key (`sk-`) variants.
 * DSA and short RSA keys are refused here, so no later check can forget to.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/** Reads SSH wire-format fields in order; every read is bounds-checked. */
export class SshReader {
  #pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.#pos === this.buf.length;
  }

  bytes(n: number): Buffer {
    if (this.#pos + n > this.buf.length) throw new Error("truncated");
    const out = this.buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  uint8(): number {
    return this.bytes(1)[0] as number;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  text(): string {
    return this.string().toString("latin1");
  }
}

export function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: "P-256", size: 32, hash: "sha256" },
  nistp384: { crv: "P-384", size: 48, hash: "sha384" },
  nistp521: { crv: "P-521", size: 66, hash: "sha512" },
};

export const MIN_RSA_BITS = 2048;

export interface SshPublicKey {
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, sk-ssh-ed25519@openssh.com, … */
  type: string;
  /** The wire-format blob; two keys are the same key when their blobs are equal. */
  blob: Buffer;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  fingerprint: string;
  key: KeyObject;
  /** ECDSA: the curve's digest and coordinate size. */
  curve?: { hash: string; size: number };
  /** Security keys: the FIDO application string (usually "ssh:"). */
  application?: string;
}

export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

const b64url = (b: Buffer) => b.toString("base64url");
/** An mpint without its sign byte. */
const unsigned = (b: Buffer) => (b.length > 1 && b[0] === 0 ? b.subarray(1) : b);

/** Parses a public key blob (the base64 part of an authorized_keys line). Throws a short reason. */
export function parseSshPublicKey(blob: Buffer): SshPublicKey {
  const r = new SshReader(blob);
  const type = r.text();
  const base = { type, blob, fingerprint: sshFingerprint(blob) };
  let parsed: SshPublicKey;
  switch (type) {
    case "ssh-ed25519":
    case "sk-ssh-ed25519@openssh.com": {
      const x = r.string();
      if (x.length !== 32) throw new Error("ed25519 key is not 32 bytes");
      parsed = { ...base, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(x) }, format: "jwk" }) };
      break;
    }
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521":
    case "sk-ecdsa-sha2-nistp256@openssh.com": {
      const curveName = r.text();
      const curve = CURVES[curveName];
      if (!curve || !type.includes(curveName)) throw new Error(`unsupported ECDSA curve ${curveName}`);
      const q = r.string();
      if (q.length !== 1 + 2 * curve.size || q[0] !== 4) throw new Error("ECDSA point is not an uncompressed point on its curve");
      const jwk = { kty: "EC", crv: curve.crv, x: b64url(q.subarray(1, 1 + curve.size)), y: b64url(q.subarray(1 + curve.size)) };
      parsed = { ...base, key: createPublicKey({ key: jwk, format: "jwk" }), curve: { hash: curve.hash, size: curve.size } };
      break;
    }
    case "ssh-rsa": {
      const e = unsigned(r.string());
      const n = unsigned(r.string());
      const bits = n.length * 8 - Math.clz32(n[0] ?? 0) + 24;
      if (bits < MIN_RSA_BITS) throw new Error(`RSA key of ${bits} bits is too short (at least ${MIN_RSA_BITS} are required)`);
      parsed = { ...base, key: createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" }) };
      break;
    }
    case "ssh-dss":
      throw new Error("DSA keys are refused (broken and removed from OpenSSH)");
    default:
      throw new Error(`unsupported key type ${type}`);
  }
  if (type.startsWith("sk-")) parsed.application = r.text();
  if (!r.done) throw new Error("trailing bytes after the key");
  return parsed;
}

/**
 * One public key line: `[options] type base64 [comment]` — authorized_keys and *.pub files. Options
 * before the type are returned raw (allowed_signers uses them). Returns undefined for blank/comment lines.
 */
export function parseSshKeyLine(line: string): { key: SshPublicKey; comment: string } | undefined {
  const trimmed = line.trim();
  if (!trimmed || trimmed.startsWith("#")) return undefined;
  const fields = trimmed.split(/\s+/);
  const at = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
  if (at < 0 || !fields[at + 1]) throw new Error("not an SSH public key line (expected e.g. \"ssh-ed25519 AAAA… comment\")");
  const blob = Buffer.from(fields[at + 1] as string, "base64");
  const key = parseSshPublicKey(blob);
  if (key.type !== fields[at]) throw new Error(`key type ${fields[at]} does not match its blob (${key.type})`);
  return { key, comment: fields.slice(at + 2).join(" ") };
}
