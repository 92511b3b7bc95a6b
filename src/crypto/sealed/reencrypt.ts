/**
 * Re-sealing for key rotation (what `kubeseal --re-encrypt` asks the controller to do), done locally: every
 * item is opened with the old keys and sealed again to the new certificate under the same label. Only
 * spec.encryptedData changes; metadata, template and template.data are kept byte for byte (nothing is
 * rendered, so unlike upstream no template data turns into items and no template metadata is lost).
 */
import { encodeStdBase64 } from "./base64.js";
import { assertCertificateUsable, type SealingCertificate } from "./certificate.js";
import { NoSealingKeyError, type SealedWhere } from "./errors.js";
import { hybridEncrypt } from "./hybrid.js";
import { openItems } from "./open.js";
import type { RsaKey } from "./rsa-key.js";
import { readSealedSecret, type SealedSecretObject } from "./sealed-secret.js";

export interface ReencryptResult {
  sealedSecret: SealedSecretObject;
  /** Keys that opened the old items. */
  fromKeyIds: string[];
  /** The key of the new certificate. */
  toKeyId: string;
}

export function reencryptSealedSecret(
  doc: unknown,
  oldKeys: readonly RsaKey[],
  newCert: string | SealingCertificate,
  where?: SealedWhere,
  options: { now?: Date; defaultNamespace?: string } = {},
): ReencryptResult {
  const cert = assertCertificateUsable(newCert, options.now);
  const ss = readSealedSecret(doc, where, { allowTemplateData: true, defaultNamespace: options.defaultNamespace });
  if (!oldKeys.length && ss.items.length) {
    throw new NoSealingKeyError(`cannot re-encrypt SealedSecret ${ss.display}: no old RSA key given to open it with`, where);
  }
  const opened = openItems(ss, oldKeys, where);
  const out = structuredClone(doc) as SealedSecretObject;
  let encryptedData: Record<string, string>;
  try {
    // fromEntries: an item named `__proto__` stays an item.
    encryptedData = Object.fromEntries(opened.map((item) => [item.key, encodeStdBase64(hybridEncrypt(cert.publicKey, item.value, ss.label))]));
  } finally {
    for (const item of opened) item.value.fill(0);
  }
  out.spec.encryptedData = encryptedData;
  return { sealedSecret: out, fromKeyIds: [...new Set(opened.map((o) => o.keyId))], toKeyId: cert.keyId };
}
