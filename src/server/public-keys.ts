/**
 * `GET /v1/recipients` (age recipients, one per line) and `GET /v1/cert.pem` (the newest sealing
 * certificate): the cluster's PUBLIC keys, so `seal` can encrypt for it without any private key leaving
 * it. Nothing here decrypts. As a last guard, anything that does not look like a public key is refused
 * with a 500 rather than served.
 */
import { allowMethods, sendText, type Handler } from "./respond.js";

export const RECIPIENTS_PATH = "/v1/recipients";
export const CERT_PATH = "/v1/cert.pem";

export interface PublicKeys {
  /** age recipients ("age1…"). */
  recipients: string[];
  /** PEM of the certificate to seal with (the keyring's sealingKey()), if any. */
  certificatePem?: string;
}

export type PublicKeysProvider = () => PublicKeys | Promise<PublicKeys>;

// Bech32 "age1…" recipients, including the long post-quantum "age1pq1…" ones.
const RECIPIENT = /^age1(pq1)?[02-9ac-hj-np-z]+$/;
const CERT_BLOCK = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;

export class NotPublicKeyError extends Error {
  constructor(what: string) {
    super(`refusing to serve ${what}: it is not a public key (a bug in the key provider)`);
    this.name = "NotPublicKeyError";
  }
}

export function recipientsHandler(publicKeys: PublicKeysProvider): Handler {
  return async (req, res) => {
    if (!allowMethods(req, res, ["GET"])) return;
    const { recipients } = await publicKeys();
    recipients.forEach((r, i) => {
      if (!RECIPIENT.test(r)) throw new NotPublicKeyError(`recipient #${i + 1}`);
    });
    if (recipients.length === 0) return sendText(res, 404, "this cluster has no age keys; use /v1/cert.pem (sealed format)");
    sendText(res, 200, recipients.join("\n"));
  };
}

export function certHandler(publicKeys: PublicKeysProvider): Handler {
  return async (req, res) => {
    if (!allowMethods(req, res, ["GET"])) return;
    const { certificatePem } = await publicKeys();
    if (!certificatePem) return sendText(res, 404, "this cluster has no sealing certificate; use /v1/recipients (age)");
    if (!CERT_BLOCK.test(certificatePem)) throw new NotPublicKeyError("the sealing certificate");
    sendText(res, 200, certificatePem, { "content-type": "application/x-pem-file" });
  };
}
