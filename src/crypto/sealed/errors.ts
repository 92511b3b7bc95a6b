/**
 * Typed errors of the SealedSecrets module. Each message says what failed, where (file, document, object,
 * item) and what to do. None ever carries a decrypted value or key material: keys are named by their
 * public fingerprint only.
 */

/** Where a SealedSecret came from, for messages: a manifest file and the document's index in it. */
export interface SealedWhere {
  file: string;
  index?: number;
}

/** `apps/db.yaml#2`, or the bare file when the index is unknown. */
export function describeWhere(where: SealedWhere | undefined): string {
  if (!where) return "";
  return where.index === undefined ? where.file : `${where.file}#${where.index}`;
}

/** Appends ` (in <where>)` when a location is known. */
function at(where: SealedWhere | undefined): string {
  const w = describeWhere(where);
  return w ? ` (in ${w})` : "";
}

export abstract class SealedSecretError extends Error {
  override name = "SealedSecretError";
  readonly where: SealedWhere | undefined;
  protected constructor(message: string, where: SealedWhere | undefined, options?: ErrorOptions) {
    super(message + at(where), options);
    this.where = where;
  }
}

/** The document is not a usable SealedSecret: wrong shape, missing fields, unsupported version or format. */
export class SealedSecretFormatError extends SealedSecretError {
  override name = "SealedSecretFormatError";
  constructor(message: string, where?: SealedWhere) {
    super(message, where);
  }
}

/** `spec.template.data` is set: sealsync does not render Go templates (upstream's decryption-oracle bugs lived there). */
export class UnsupportedTemplateDataError extends SealedSecretError {
  override name = "UnsupportedTemplateDataError";
  readonly object: string;
  readonly keys: string[];
  constructor(object: string, keys: string[], where?: SealedWhere) {
    super(
      `SealedSecret ${object} uses spec.template.data (${keys.join(", ")}), which sealsync does not render: ` +
        "Go templates in unsealing were the source of upstream's decryption-oracle bugs. Seal the rendered " +
        "values as encryptedData items instead (e.g. build the full value locally and re-seal it)",
      where,
    );
    this.object = object;
    this.keys = keys;
  }
}

/** An item is not standard, padded base64 (e.g. URL-safe or unpadded) — kubeseal never writes that. */
export class SealedItemEncodingError extends SealedSecretError {
  override name = "SealedItemEncodingError";
  readonly object: string;
  readonly item: string;
  constructor(object: string, item: string, problem: string, where?: SealedWhere) {
    super(
      `item ${item} of SealedSecret ${object} is not valid sealed data: ${problem}; ` +
        "sealed items are standard base64 with '=' padding, as kubeseal writes them — re-seal the value",
      where,
    );
    this.object = object;
    this.item = item;
  }
}

/** An item is shorter than its own length prefix says (or than the prefix itself, or than a GCM tag). */
export class SealedItemTruncatedError extends SealedSecretError {
  override name = "SealedItemTruncatedError";
  readonly object: string;
  readonly item: string;
  constructor(object: string, item: string, problem: string, where?: SealedWhere) {
    super(`item ${item} of SealedSecret ${object} is truncated: ${problem}; re-seal the value`, where);
    this.object = object;
    this.item = item;
  }
}

/** The RSA part opened with one of our keys but the AES-GCM part failed authentication: the data was altered. */
export class SealedItemTamperedError extends SealedSecretError {
  override name = "SealedItemTamperedError";
  readonly object: string;
  readonly item: string;
  readonly keyId: string;
  constructor(object: string, item: string, keyId: string, where?: SealedWhere) {
    super(
      `item ${item} of SealedSecret ${object} failed authentication (AES-GCM tag mismatch) although its session ` +
        `key opened with key ${keyId}: the ciphertext was altered or corrupted; re-seal the value`,
      where,
    );
    this.object = object;
    this.item = item;
    this.keyId = keyId;
  }
}

/** None of the keys opened the item's session key under the label its scope gives. */
export class NoKeyCouldDecryptError extends SealedSecretError {
  override name = "NoKeyCouldDecryptError";
  readonly object: string;
  readonly item: string;
  readonly triedKeyIds: string[];
  constructor(object: string, item: string, triedKeyIds: string[], where?: SealedWhere) {
    const tried = triedKeyIds.length ? `tried keys ${triedKeyIds.join(", ")}` : "the keyring holds no RSA keys";
    super(
      `no key could decrypt item ${item} of SealedSecret ${object}; ${tried}. Either it was sealed with a ` +
        "certificate whose private key is not in the keyring (add that key, or re-seal with the current " +
        "certificate), or it was renamed/moved after sealing (strict scope binds namespace and name; " +
        "namespace-wide binds the namespace) and must be re-sealed for its new place",
      where,
    );
    this.object = object;
    this.item = item;
    this.triedKeyIds = triedKeyIds;
  }
}

/**
 * The item opens under a different scope label than the SealedSecret's metadata gives: it was moved or
 * renamed after sealing, or its scope annotation is missing or wrong. Found by trying the other labels only
 * to name the cause; nothing decrypted that way is ever used.
 */
export class SealedScopeMismatchError extends SealedSecretError {
  override name = "SealedScopeMismatchError";
  readonly object: string;
  readonly item: string;
  readonly keyId: string;
  constructor(object: string, item: string, keyId: string, explanation: string, where?: SealedWhere) {
    super(`item ${item} of SealedSecret ${object} cannot be unsealed here: ${explanation}`, where);
    this.object = object;
    this.item = item;
    this.keyId = keyId;
  }
}

/** Sealing or unsealing needs a key and there is none (or the given input holds none). */
export class NoSealingKeyError extends SealedSecretError {
  override name = "NoSealingKeyError";
  constructor(message: string, where?: SealedWhere) {
    super(message, where);
  }
}

/** A certificate cannot be used for sealing: not a certificate, not RSA, or expired. */
export class SealingCertificateError extends SealedSecretError {
  override name = "SealingCertificateError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, undefined, options);
  }
}

/** A private key (file, Secret, PEM block) cannot be used: not RSA, encrypted, unparseable, or not matching its cert. */
export class SealingKeyError extends SealedSecretError {
  override name = "SealingKeyError";
  readonly source: string;
  constructor(source: string, message: string, options?: ErrorOptions) {
    super(`${source}: ${message}`, undefined, options);
    this.source = source;
  }
}

/** A Secret to be sealed is not usable as input (as kubeseal would refuse it). */
export class SealInputError extends SealedSecretError {
  override name = "SealInputError";
  constructor(message: string, where?: SealedWhere) {
    super(message, where);
  }
}
