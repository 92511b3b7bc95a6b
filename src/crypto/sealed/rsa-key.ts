/**
 * RSA private keys that unseal: parsed from PEM (PKCS#1 or PKCS#8, as the controller accepts), optionally
 * paired with their certificate, or read from a backup of the controller's key Secrets (what
 * `kubeseal --recovery-private-key` accepts). Keys are held as node KeyObjects, which neither print nor
 * serialise their material.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { decodeStdBase64 } from "./base64.js";
import { parseSealingCertificate, pemBlocks } from "./certificate.js";
import { SealingKeyError } from "./errors.js";
import { rsaKeyId } from "./fingerprint.js";

export interface RsaKey {
  readonly kind: "rsa";
  /** Public-key fingerprint (`SHA256:…`), as the controller names keys; safe to log. */
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly modulusBytes: number;
  /** The certificate that goes with the key, when one was found. */
  readonly certPem?: string;
  /** Certificate NotBefore (or the key Secret's creationTimestamp): orders keys, newest seals. */
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Where the key was read from (file path, `secret ns/name`), for messages. */
  readonly source: string;
}

const PRIVATE_KEY_TYPES = new Set(["RSA PRIVATE KEY", "PRIVATE KEY"]);

/** Loads one RSA private key PEM, with the certificate (first CERTIFICATE block of `certPem`) if given. */
export function loadRsaKey(keyPem: string, source: string, certPem?: string, fallbackDate?: Date): RsaKey {
  const blocks = pemBlocks(keyPem).filter((b) => b.type.endsWith("PRIVATE KEY"));
  if (blocks.length !== 1) {
    throw new SealingKeyError(source, blocks.length
      ? `holds ${blocks.length} private keys; put one key per file`
      : "holds no PEM private key (expected `RSA PRIVATE KEY` or `PRIVATE KEY`)");
  }
  return keyFromBlock(blocks[0]!, source, certPem, fallbackDate);
}

function keyFromBlock(block: { type: string; pem: string }, source: string, certPem?: string, fallbackDate?: Date): RsaKey {
  if (block.type === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(block.pem)) {
    throw new SealingKeyError(source, "the private key is passphrase-protected; store it unencrypted in the cluster Secret");
  }
  if (!PRIVATE_KEY_TYPES.has(block.type)) {
    throw new SealingKeyError(source, `a ${block.type} is not usable: Sealed Secrets keys are RSA (PKCS#1 or PKCS#8 PEM)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block.pem, format: "pem" });
  } catch (err) {
    // The cause is OpenSSL's decoder error, which never quotes the key.
    throw new SealingKeyError(source, "the private key PEM does not parse", { cause: err });
  }
  if (privateKey.asymmetricKeyType !== "rsa") {
    throw new SealingKeyError(source, `the private key is ${privateKey.asymmetricKeyType ?? "not RSA"}; Sealed Secrets keys are RSA`);
  }
  const publicKey = createPublicKey(privateKey);
  const id = rsaKeyId(publicKey);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  const base = { kind: "rsa" as const, id, privateKey, publicKey, modulusBytes: Math.ceil(bits / 8), source };
  if (certPem === undefined) return fallbackDate ? { ...base, notBefore: fallbackDate } : base;

  const cert = parseSealingCertificate(certPem, `${source} (certificate)`);
  if (cert.keyId !== id) {
    throw new SealingKeyError(source, `its certificate is for key ${cert.keyId}, not for this key ${id}; pair each key with its own certificate`);
  }
  return { ...base, certPem: cert.pem, notBefore: cert.notBefore, notAfter: cert.notAfter };
}

/**
 * Every RSA key in a user-supplied key text (the `--key` of the CLI): a PEM bundle (private keys, with their
 * certificates paired by fingerprint), or a YAML/JSON backup of key Secrets — one Secret, several
 * documents, or a `v1 List` — reading `data["tls.key"]` and `data["tls.crt"]`.
 */
export function parseRsaPrivateKeys(text: string, source: string): RsaKey[] {
  const blocks = pemBlocks(text);
  if (blocks.length) return keysFromPemBundle(blocks, source);
  const keys = keysFromSecretBackup(text, source);
  if (!keys.length) {
    throw new SealingKeyError(source, "holds no RSA private key: expected PEM (`tls.key`) or a YAML/JSON backup of key Secrets with data[\"tls.key\"]");
  }
  return keys;
}

function keysFromPemBundle(blocks: { type: string; pem: string }[], source: string): RsaKey[] {
  const keyBlocks = blocks.filter((b) => b.type.endsWith("PRIVATE KEY"));
  if (!keyBlocks.length) throw new SealingKeyError(source, "holds no PEM private key (a certificate alone cannot unseal)");
  const certs = blocks.filter((b) => b.type === "CERTIFICATE").map((b) => parseSealingCertificate(b.pem, source));
  return keyBlocks.map((block, i) => {
    const where = keyBlocks.length > 1 ? `${source} (key ${i + 1})` : source;
    const key = keyFromBlock(block, where);
    const cert = certs.find((c) => c.keyId === key.id);
    return cert ? { ...key, certPem: cert.pem, notBefore: cert.notBefore, notAfter: cert.notAfter } : key;
  });
}

function keysFromSecretBackup(text: string, source: string): RsaKey[] {
  let docs: unknown[];
  try {
    docs = parseAllDocuments(text).flatMap((d) => ("errors" in d && d.errors.length ? [undefined] : [d.toJS() as unknown]));
  } catch {
    return [];
  }
  const secrets = docs.flatMap((doc) => (isObject(doc) && doc.kind === "List" && Array.isArray(doc.items) ? doc.items : [doc]));
  const keys: RsaKey[] = [];
  for (const secret of secrets) {
    if (!isObject(secret) || secret.kind !== "Secret" || !isObject(secret.data)) continue;
    const meta = isObject(secret.metadata) ? secret.metadata : {};
    const where = `${source}: Secret ${String(meta.namespace ?? "")}/${String(meta.name ?? meta.generateName ?? "?")}`;
    const keyPem = secretField(secret.data, "tls.key", where);
    if (keyPem === undefined) continue;
    const created = typeof meta.creationTimestamp === "string" ? new Date(meta.creationTimestamp) : undefined;
    keys.push(loadRsaKey(keyPem, where, secretField(secret.data, "tls.crt", where), created));
  }
  return keys;
}

/** A base64 `data` field of a Secret, decoded as text. */
export function secretField(data: Record<string, unknown>, field: string, where: string): string | undefined {
  const value = data[field];
  if (value === undefined || value === null) return undefined;
  const decoded = typeof value === "string" ? decodeStdBase64(value) : { problem: "it is not a string" };
  if ("problem" in decoded) throw new SealingKeyError(where, `data["${field}"] is not valid: ${decoded.problem}`);
  return decoded.bytes.toString("utf8");
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Newest first: by NotBefore (the controller's default order); keys without a date last; ties by id for stability. */
export function newestFirst<T extends { id: string; notBefore?: Date }>(keys: readonly T[]): T[] {
  return [...keys].sort((a, b) => {
    const ta = a.notBefore?.getTime() ?? -Infinity;
    const tb = b.notBefore?.getTime() ?? -Infinity;
    if (ta !== tb) return tb > ta ? 1 : -1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}
