/**
 * OpenPGP detached signatures over a commit or tag payload (what `git commit -S` writes with gpg), checked
 * with openpgp.js 6 (the newest major; it runs on Node ≥ 18). The issuer in the signature is matched
 * against the trusted keys first; only then is the signature verified. SHA-1 (and weaker) digests, DSA
 * keys and RSA keys under 2048 bits are refused with a reason, never judged.
 */
import * as openpgp from "openpgp";
import { MIN_RSA_BITS } from "./ssh-key.js";

export interface PgpTrustedKey {
  key: openpgp.PublicKey;
  /** Primary key fingerprint, upper-case hex. */
  fingerprint: string;
  /** Its first user ID, for messages. */
  userId: string;
}

const WEAK_HASHES = new Set<number>([openpgp.enums.hash.md5, openpgp.enums.hash.sha1, openpgp.enums.hash.ripemd]);
const REFUSED_KEY_ALGOS = new Set<number>([openpgp.enums.publicKey.dsa, openpgp.enums.publicKey.elgamal]);

/** Reads every public key of an armored file; refuses DSA and short RSA keys (primary or subkey). */
export async function readPgpKeys(armored: string): Promise<PgpTrustedKey[]> {
  const keys = await openpgp.readKeys({ armoredKeys: armored });
  return keys.map((k) => {
    const key = k.toPublic();
    for (const part of [key, ...key.getSubkeys()]) {
      const info = part.getAlgorithmInfo();
      if (info.algorithm === "dsa") throw new Error(`key ${key.getFingerprint().toUpperCase()} is a DSA key: refused`);
      if (info.algorithm.startsWith("rsa") && (info.bits ?? 0) < MIN_RSA_BITS) {
        throw new Error(`key ${key.getFingerprint().toUpperCase()} is RSA ${info.bits ?? "?"} bits: at least ${MIN_RSA_BITS} are required`);
      }
    }
    return { key, fingerprint: key.getFingerprint().toUpperCase(), userId: key.getUserIDs()[0] ?? "" };
  });
}

export function isPgpSignature(armored: string): boolean {
  return armored.trimStart().startsWith("-----BEGIN PGP SIGNATURE-----");
}

export type PgpOutcome =
  | { ok: true; fingerprint: string; userId: string }
  | { ok: false; fingerprint?: string; reason: string };

/**
 * Verifies `armored` over `payload` with the trusted keys. `at` is when the signature must be valid
 * (the key not expired or revoked then): the time of verification.
 */
export async function verifyPgp(armored: string, payload: Uint8Array, trusted: readonly PgpTrustedKey[], at = new Date()): Promise<PgpOutcome> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: armored });
  } catch (err) {
    return { ok: false, reason: `malformed OpenPGP signature: ${(err as Error).message}` };
  }
  const packet = signature.packets[0];
  if (!packet || signature.packets.length !== 1) return { ok: false, reason: "expected exactly one OpenPGP signature" };
  const issuer = packet.issuerFingerprint
    ? Buffer.from(packet.issuerFingerprint).toString("hex").toUpperCase()
    : packet.issuerKeyID.toHex().toUpperCase();
  // Trusted set first: an unknown issuer is reported as such, whatever the signature says.
  const signer = trusted.find((t) => t.key.getKeys(packet.issuerKeyID).length > 0);
  if (!signer) return { ok: false, fingerprint: issuer, reason: `signed by OpenPGP key ${issuer}, which is not a trusted key` };
  if (packet.hashAlgorithm !== null && WEAK_HASHES.has(packet.hashAlgorithm)) {
    const name = openpgp.enums.read(openpgp.enums.hash, packet.hashAlgorithm);
    return { ok: false, fingerprint: signer.fingerprint, reason: `signature uses ${String(name).toUpperCase()}, which is refused (sign with SHA-256 or stronger)` };
  }
  if (packet.publicKeyAlgorithm !== null && REFUSED_KEY_ALGOS.has(packet.publicKeyAlgorithm)) {
    return { ok: false, fingerprint: signer.fingerprint, reason: "DSA signatures are refused" };
  }
  try {
    const message = await openpgp.createMessage({ binary: payload });
    const result = await openpgp.verify({ message, signature, verificationKeys: signer.key, date: at, expectSigned: true, format: "binary" });
    await result.signatures[0]?.verified;
    return { ok: true, fingerprint: signer.fingerprint, userId: signer.userId };
  } catch (err) {
    const message = (err as Error).message.replace(/^Signed digest did not match$/, "the signature does not match the commit (tampered payload?)");
    return { ok: false, fingerprint: signer.fingerprint, reason: message };
  }
}
