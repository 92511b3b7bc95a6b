/**
 * SSHSIG (OpenSSH PROTOCOL.sshsig), what `git commit -S` writes with gpg.format=ssh: an armored blob
 * holding the signer's public key, a namespace ("git"), a hash algorithm and the signature over
 *   "SSHSIG" ‖ string(namespace) ‖ string(reserved) ‖ string(hash_alg) ‖ string(H(message)).
 * Verified with node:crypto only. Contract: parse() names what is malformed; verify() returns false for
 * a signature that does not match and throws for one it refuses to judge (SHA-1 RSA, wrong namespace).
 */
import { createHash, verify as cryptoVerify } from "node:crypto";
import { SshReader, parseSshPublicKey, sshString, type SshPublicKey } from "./ssh-key.js";

const MAGIC = Buffer.from("SSHSIG");
const BEGIN = "-----BEGIN SSH SIGNATURE-----";
const END = "-----END SSH SIGNATURE-----";

export interface SshSignature {
  publicKey: SshPublicKey;
  namespace: string;
  hashAlgorithm: string;
  /** The inner signature's algorithm name (ssh-ed25519, rsa-sha2-512, …). */
  algorithm: string;
  signature: Buffer;
  /** Security keys: flags and counter the authenticator added. */
  sk?: { flags: number; counter: number };
}

export function isSshSignature(armored: string): boolean {
  return armored.trimStart().startsWith(BEGIN);
}

export function parseSshSignature(armored: string): SshSignature {
  const text = armored.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw new Error("not an armored SSH signature");
  const blob = Buffer.from(text.slice(BEGIN.length, -END.length).replace(/\s+/g, ""), "base64");
  const r = new SshReader(blob);
  if (!r.bytes(6).equals(MAGIC)) throw new Error("SSH signature without the SSHSIG magic");
  const version = r.uint32();
  if (version !== 1) throw new Error(`SSH signature version ${version} is not supported`);
  const publicKey = parseSshPublicKey(r.string());
  const namespace = r.text();
  r.string(); // reserved
  const hashAlgorithm = r.text();
  const sig = new SshReader(r.string());
  const algorithm = sig.text();
  const signature = sig.string();
  const sk = publicKey.type.startsWith("sk-") ? { flags: sig.uint8(), counter: sig.uint32() } : undefined;
  if (!sig.done || !r.done) throw new Error("trailing bytes in the SSH signature");
  return { publicKey, namespace, hashAlgorithm, algorithm, signature, sk };
}

/** ECDSA signatures are two mpints; node:crypto wants them as fixed-size r ‖ s. */
function ecdsaP1363(blob: Buffer, size: number): Buffer {
  const r = new SshReader(blob);
  const fixed = (n: Buffer) => {
    const v = n.length > size ? n.subarray(n.length - size) : n;
    return Buffer.concat([Buffer.alloc(size - v.length), v]);
  };
  return Buffer.concat([fixed(r.string()), fixed(r.string())]);
}

/** Does `sig` sign `message` under `namespace`? The caller has already decided the key is trusted. */
export function verifySshSignature(sig: SshSignature, message: Buffer, namespace = "git"): boolean {
  if (sig.namespace !== namespace) throw new Error(`signature namespace is "${sig.namespace}", not "${namespace}"`);
  if (sig.hashAlgorithm !== "sha512" && sig.hashAlgorithm !== "sha256") throw new Error(`signature hash ${sig.hashAlgorithm} is not accepted`);
  const signedData = Buffer.concat([
    MAGIC, sshString(namespace), sshString(""), sshString(sig.hashAlgorithm),
    sshString(createHash(sig.hashAlgorithm).update(message).digest()),
  ]);
  const key = sig.publicKey;
  switch (key.type) {
    case "ssh-ed25519":
      return sig.algorithm === key.type && cryptoVerify(null, signedData, key.key, sig.signature);
    case "ecdsa-sha2-nistp256":
    case "ecdsa-sha2-nistp384":
    case "ecdsa-sha2-nistp521": {
      if (sig.algorithm !== key.type || !key.curve) return false;
      return cryptoVerify(key.curve.hash, signedData, { key: key.key, dsaEncoding: "ieee-p1363" }, ecdsaP1363(sig.signature, key.curve.size));
    }
    case "ssh-rsa": {
      if (sig.algorithm === "ssh-rsa") throw new Error("RSA signature with SHA-1 (ssh-rsa) is refused: sign with rsa-sha2-512");
      const hash = { "rsa-sha2-256": "sha256", "rsa-sha2-512": "sha512" }[sig.algorithm];
      if (!hash) return false;
      return cryptoVerify(hash, signedData, key.key, sig.signature);
    }
    case "sk-ssh-ed25519@openssh.com":
    case "sk-ecdsa-sha2-nistp256@openssh.com": {
      if (sig.algorithm !== key.type || !sig.sk) return false;
      // The authenticator signs H(application) ‖ flags ‖ counter ‖ H(data), and requires user presence.
      if ((sig.sk.flags & 0x01) === 0) throw new Error("security-key signature made without user presence");
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(sig.sk.counter);
      const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest();
      const original = Buffer.concat([sha256(key.application ?? ""), Buffer.from([sig.sk.flags]), counter, sha256(signedData)]);
      if (key.type === "sk-ssh-ed25519@openssh.com") return cryptoVerify(null, original, key.key, sig.signature);
      return cryptoVerify("sha256", original, { key: key.key, dsaEncoding: "ieee-p1363" }, ecdsaP1363(sig.signature, 32));
    }
    default:
      return false;
  }
}
