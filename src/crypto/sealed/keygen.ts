/**
 * New sealing key pairs in the controller's format: RSA (e = 65537) from node:crypto, and a self-signed
 * X.509 v3 certificate made with node-forge (node:crypto cannot create certificates) shaped like the one
 * the controller makes: random 128-bit serial, KeyUsage encipherOnly (critical), BasicConstraints CA:TRUE
 * (critical), sha256WithRSA. The subject is empty by default, as upstream's (`--my-cn ""`).
 */
import { constants, createPublicKey, generateKeyPair, privateEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type forge from "node-forge";

export interface SealingKeyPairOptions {
  /** RSA modulus size; the controller's default is 4096. */
  bits?: number;
  /** Subject and issuer CN; empty DN when unset, as the controller does by default. */
  commonName?: string;
  /** Validity from now; the controller's default `--key-ttl` is 10 years. */
  validityDays?: number;
  /** Start of validity (tests); defaults to now. */
  notBefore?: Date;
}

export interface SealingKeyPair {
  /** PKCS#1 `RSA PRIVATE KEY` PEM, as the controller stores `tls.key`. Secret: keep it off disk unless 0600. */
  keyPem: string;
  /** `CERTIFICATE` PEM, the public half to hand to whoever seals. */
  certPem: string;
}

export const DEFAULT_KEY_BITS = 4096;
export const DEFAULT_VALIDITY_DAYS = 3650;

const generateRsa = promisify(generateKeyPair);

// DER prefix of DigestInfo{sha256}: what a PKCS#1 v1.5 signature wraps around the 32-byte hash.
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

/**
 * A forge "private key" that signs through node:crypto, so the private key never has to be converted into
 * forge's JavaScript bignums (native signing is also ~100× faster at 4096 bits).
 */
function nodeSigner(privateKey: KeyObject): forge.pki.rsa.PrivateKey {
  return {
    sign(md: forge.md.MessageDigest): forge.Bytes {
      const digest = Buffer.from(md.digest().getBytes(), "binary");
      const signature = privateEncrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO, digest]),
      );
      return signature.toString("binary");
    },
  } as unknown as forge.pki.rsa.PrivateKey;
}

export async function generateSealingKeyPair(options: SealingKeyPairOptions = {}): Promise<SealingKeyPair> {
  const bits = options.bits ?? DEFAULT_KEY_BITS;
  if (!Number.isInteger(bits) || bits < 2048 || bits > 16384 || bits % 8 !== 0) {
    throw new RangeError(`RSA key size ${bits} is not supported: use 2048, 3072 or 4096 (the controller's default)`);
  }
  const validityDays = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!(validityDays > 0)) throw new RangeError(`validity of ${validityDays} days is not positive`);

  const { privateKey } = await generateRsa("rsa", { modulusLength: bits, publicExponent: 0x10001 });
  const spkiPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();

  // node-forge (~11 MiB resident) is needed only here, to create certificates: load it on demand.
  const { default: forge } = await import("node-forge");
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(spkiPem);
  cert.serialNumber = randomSerial();
  const notBefore = options.notBefore ?? new Date();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + validityDays * 86_400_000);
  const dn = options.commonName ? [{ name: "commonName", value: options.commonName }] : [];
  cert.setSubject(dn);
  cert.setIssuer(dn);
  cert.setExtensions([
    { name: "keyUsage", critical: true, encipherOnly: true },
    { name: "basicConstraints", critical: true, cA: true },
  ]);
  cert.sign(nodeSigner(privateKey), forge.md.sha256.create());

  return {
    keyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    certPem: forge.pki.certificateToPem(cert),
  };
}

/**
 * 128 random bits as a minimal positive DER INTEGER: top bit clear (no sign byte needed) and first byte
 * non-zero (Go's parser rejects a non-minimal encoding).
 */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) || 0x01;
  return bytes.toString("hex");
}
