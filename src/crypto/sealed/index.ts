/** Bitnami Sealed Secrets, compatible with kubeseal and the controller: the public surface of this module. */
export { generateSealingKeyPair, DEFAULT_KEY_BITS, DEFAULT_VALIDITY_DAYS, type SealingKeyPair, type SealingKeyPairOptions } from "./keygen.js";
export { assertCertificateUsable, parseSealingCertificate, type SealingCertificate } from "./certificate.js";
export { rsaKeyId } from "./fingerprint.js";
export { loadRsaKey, parseRsaPrivateKeys, newestFirst, type RsaKey } from "./rsa-key.js";
export {
  keySecretManifest, SEALSYNC_KEY_LABEL, SEALED_SECRETS_KEY_LABEL, KEY_LABEL_ACTIVE,
  type KeySecretOptions, type KeyLabelFlavour,
} from "./key-secret.js";
export {
  ANNOTATION_CLUSTER_WIDE, ANNOTATION_NAMESPACE_WIDE, SEALING_SCOPES, isSealingScope, scopeFromAnnotations, type SealingScope,
} from "./scope.js";
export {
  isSealedSecret, SEALED_SECRET_API_VERSION, SEALED_SECRET_KIND,
  type ObjectMeta, type SealedSecretObject, type SecretObject, type SecretTemplate,
} from "./sealed-secret.js";
export { sealSecret, sealRaw, type SealOptions, type RawSealTarget } from "./seal.js";
export { unsealSealedSecret, type UnsealOptions, type UnsealResult } from "./unseal.js";
export { reencryptSealedSecret, type ReencryptResult } from "./reencrypt.js";
export * from "./errors.js";
