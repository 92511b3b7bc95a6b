/**
 * The key Secret, in the Sealed Secrets controller's own storage format (`type: kubernetes.io/tls`,
 * `tls.key` = PKCS#1 PEM, `tls.crt` = certificate PEM), labelled so that sealsync's keyring — and, if
 * wanted, a Sealed Secrets controller in the same namespace — picks it up.
 */
import { encodeStdBase64 } from "./base64.js";
import { SealInputError } from "./errors.js";
import { loadRsaKey } from "./rsa-key.js";
import type { SecretObject } from "./sealed-secret.js";

/** sealsync's own key label; a key is in use while its value is `active` (any other value retires it). */
export const SEALSYNC_KEY_LABEL = "sealsync.dev/key";
/** The Sealed Secrets controller's key label (same `active` convention), read too so existing keys can be reused. */
export const SEALED_SECRETS_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";
export const KEY_LABEL_ACTIVE = "active";

export type KeyLabelFlavour = "sealsync" | "sealed-secrets";

export interface KeySecretOptions {
  keyPem: string;
  certPem: string;
  name: string;
  namespace: string;
  /** Which labels to set; both by default, so the same Secret serves sealsync and a controller alike. */
  labels?: KeyLabelFlavour[];
}

/** A Secret manifest holding a sealing key pair. The pair is checked to belong together first. */
export function keySecretManifest(options: KeySecretOptions): SecretObject {
  if (!options.name) throw new SealInputError("a key Secret needs a name");
  if (!options.namespace) throw new SealInputError("a key Secret needs a namespace (the sidecar's, or the controller's)");
  loadRsaKey(options.keyPem, `key Secret ${options.namespace}/${options.name}`, options.certPem);
  const flavours = options.labels ?? ["sealsync", "sealed-secrets"];
  const labels: Record<string, string> = {};
  if (flavours.includes("sealsync")) labels[SEALSYNC_KEY_LABEL] = KEY_LABEL_ACTIVE;
  if (flavours.includes("sealed-secrets")) labels[SEALED_SECRETS_KEY_LABEL] = KEY_LABEL_ACTIVE;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: options.name, namespace: options.namespace, labels },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": encodeStdBase64(Buffer.from(options.certPem, "utf8")),
      "tls.key": encodeStdBase64(Buffer.from(options.keyPem, "utf8")),
    },
  };
}
