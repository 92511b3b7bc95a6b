/**
 * SealedSecret → Secret, in memory, as the controller builds it: metadata from spec.template.metadata with
 * name and namespace forced to the SealedSecret's own, type and immutable from the template, data from the
 * opened items. Template data (Go templates) is refused, never rendered.
 */
import { encodeStdBase64 } from "./base64.js";
import { NoSealingKeyError, type SealedWhere } from "./errors.js";
import { openItems } from "./open.js";
import type { RsaKey } from "./rsa-key.js";
import { cleanMetadata, readSealedSecret, type SecretObject } from "./sealed-secret.js";

export interface UnsealOptions {
  /** Namespace for a SealedSecret without metadata.namespace (where it will be applied). */
  defaultNamespace?: string;
}

export interface UnsealResult {
  /** The Secret, `data` in standard base64 as Kubernetes wants it. Holds plaintext: keep it in memory only. */
  object: SecretObject;
  /** The key that opened the items ("" when there were none); when items used several keys, the first item's. */
  keyId: string;
  /** Every distinct key that opened an item, in item order. */
  keyIds: string[];
}

/**
 * Unseals a SealedSecret with `keys` (all are tried; the keyring passes them newest first). Throws a
 * SealedSecretError subclass naming the object and item on any failure; no partial Secret is returned.
 */
export function unsealSealedSecret(doc: unknown, keys: readonly RsaKey[], where?: SealedWhere, options: UnsealOptions = {}): UnsealResult {
  const ss = readSealedSecret(doc, where, { defaultNamespace: options.defaultNamespace });
  if (!keys.length && ss.items.length) {
    throw new NoSealingKeyError(`cannot unseal SealedSecret ${ss.display}: no RSA key is loaded (add the controller's tls.key to the keyring)`, where);
  }
  const opened = openItems(ss, keys, where);

  // fromEntries, not assignment: an item named `__proto__` (a valid Secret key) must stay an item.
  const data: Record<string, string> = Object.fromEntries(opened.map((item) => [item.key, encodeStdBase64(item.value)]));
  for (const item of opened) item.value.fill(0);
  const metadata = cleanMetadata(ss.template.metadata);
  metadata.name = ss.name;
  if (ss.namespace !== undefined) metadata.namespace = ss.namespace;
  else delete metadata.namespace;

  const object: SecretObject = { apiVersion: "v1", kind: "Secret", metadata };
  if (ss.template.type !== undefined) object.type = ss.template.type;
  if (ss.template.immutable !== undefined) object.immutable = ss.template.immutable;
  object.data = data;
  const keyIds = [...new Set(opened.map((o) => o.keyId))];
  return { object, keyId: keyIds[0] ?? "", keyIds };
}
