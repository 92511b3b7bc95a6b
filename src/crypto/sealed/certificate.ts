/**
 * Sealing certificates as kubeseal reads them: the first CERTIFICATE block of a PEM text, which must hold
 * an RSA key and must not be past NotAfter. Like kubeseal, NotBefore, key usage, CA flag and signature are
 * not checked: the certificate is only a carrier for the public key.
 */
import { X509Certificate, type KeyObject } from "node:crypto";
import { SealingCertificateError } from "./errors.js";
import { rsaKeyId } from "./fingerprint.js";

export interface SealingCertificate {
  /** The first CERTIFICATE block, re-encoded as PEM. */
  pem: string;
  publicKey: KeyObject;
  /** Public-key fingerprint, the same id as the private key's. */
  keyId: string;
  modulusBits: number;
  notBefore: Date;
  notAfter: Date;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** All PEM blocks of a text, in order, with their type (`CERTIFICATE`, `RSA PRIVATE KEY`, …). */
export function pemBlocks(text: string): { type: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1] ?? "", pem: m[0] }));
}

/** Parses the first certificate of `pemText` (kubeseal ignores the rest). `source` names it in errors. */
export function parseSealingCertificate(pemText: string, source = "certificate"): SealingCertificate {
  const blocks = pemBlocks(pemText);
  const block = blocks.find((b) => b.type === "CERTIFICATE");
  if (!block) {
    const found = blocks.length ? `found ${blocks.map((b) => b.type).join(", ")}` : "found no PEM block";
    throw new SealingCertificateError(
      `${source}: expected a PEM CERTIFICATE (as \`kubeseal --fetch-cert\` or \`seal keygen --rsa\` writes it), ${found}; ` +
        "a bare public key is not accepted (kubeseal refuses it too)",
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block.pem);
  } catch (err) {
    throw new SealingCertificateError(`${source}: the CERTIFICATE block does not parse as X.509`, { cause: err });
  }
  const publicKey = cert.publicKey;
  if (publicKey.asymmetricKeyType !== "rsa") {
    throw new SealingCertificateError(
      `${source}: the certificate holds a ${publicKey.asymmetricKeyType ?? "non-RSA"} key; Sealed Secrets needs RSA`,
    );
  }
  return {
    pem: cert.toString(),
    publicKey,
    keyId: rsaKeyId(publicKey),
    modulusBits: publicKey.asymmetricKeyDetails?.modulusLength ?? 0,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/**
 * Throws unless the certificate can seal at `now`: kubeseal refuses expired certificates ("failed to encrypt
 * using an expired certificate"), and so do we — the controller behind it has most likely renewed its key.
 */
export function assertCertificateUsable(certPem: string | SealingCertificate, now: Date = new Date(), source?: string): SealingCertificate {
  const cert = typeof certPem === "string" ? parseSealingCertificate(certPem, source) : certPem;
  if (cert.notAfter.getTime() < now.getTime()) {
    throw new SealingCertificateError(
      `certificate of key ${cert.keyId}${source ? ` (${source})` : ""} expired on ${cert.notAfter.toISOString()}; refusing to seal with ` +
        "it (kubeseal refuses too). Fetch the current certificate of the cluster (`seal recipients` / " +
        "`kubeseal --fetch-cert`) or renew the key (`seal keygen --rsa`)",
    );
  }
  return cert;
}
