/**
 * Secret → SealedSecret, and single raw values, as `kubeseal --cert` produces them: one fresh session key
 * per item, the scope chosen by option or by the Secret's annotations, the Secret's metadata kept in
 * spec.template.metadata (minus last-applied annotations, which would leak plaintext, and server fields).
 */
import { decodeStdBase64, encodeStdBase64 } from "./base64.js";
import { assertCertificateUsable, type SealingCertificate } from "./certificate.js";
import { SealInputError } from "./errors.js";
import { hybridEncrypt } from "./hybrid.js";
import { isObject } from "./rsa-key.js";
import { isSealingScope, scopeFromAnnotations, scopeLabel, withScopeAnnotations, type SealingScope } from "./scope.js";
import { SEALED_SECRET_API_VERSION, SEALED_SECRET_KIND, cleanMetadata, type ObjectMeta, type SealedSecretObject, type SecretTemplate } from "./sealed-secret.js";

export interface SealOptions {
  /** Scope to seal with; when unset the Secret's scope annotations decide (strict if none), as with kubeseal. */
  scope?: SealingScope;
  /** Namespace to seal for; must agree with the Secret's own if it has one (kubeseal: "namespace mismatch"). */
  namespace?: string;
  /** Overrides metadata.name, like `kubeseal --name`. */
  name?: string;
  /** Seal a Secret without data (kubeseal needs `--allow-empty-data`). */
  allowEmptyData?: boolean;
  /** Clock for the certificate expiry check. */
  now?: Date;
}

/** Seals a v1 Secret object into a SealedSecret object for the certificate's key. */
export function sealSecret(secret: unknown, cert: string | SealingCertificate, options: SealOptions | SealingScope = {}): SealedSecretObject {
  const opts: SealOptions = typeof options === "string" ? { scope: options } : options;
  if (opts.scope !== undefined && !isSealingScope(opts.scope)) {
    throw new SealInputError(`unknown scope ${String(opts.scope)}: use strict, namespace-wide or cluster-wide`);
  }
  if (!isObject(secret) || secret.kind !== "Secret" || secret.apiVersion !== "v1") {
    throw new SealInputError("input is not a Secret (expected apiVersion v1, kind Secret)");
  }
  const meta = (isObject(secret.metadata) ? secret.metadata : {}) as ObjectMeta;
  const name = opts.name || meta.name;
  if (!name) throw new SealInputError("the Secret has no metadata.name (or pass a name)");
  if (opts.namespace && meta.namespace && opts.namespace !== meta.namespace) {
    throw new SealInputError(`namespace mismatch: the Secret ${meta.namespace}/${name} is in ${meta.namespace}, but sealing was asked for ${opts.namespace}`);
  }
  const namespace = opts.namespace || meta.namespace || undefined;
  const scope = opts.scope ?? scopeFromAnnotations(meta.annotations);
  requirePlace(scope, namespace, name);
  const certificate = assertCertificateUsable(cert, opts.now);

  const values = secretValues(secret, `${namespace ?? ""}/${name}`);
  if (!values.size && !opts.allowEmptyData) {
    throw new SealInputError(`the Secret ${namespace ?? ""}/${name} has no data or stringData to seal (allow empty data to seal it anyway)`);
  }
  const label = scopeLabel(scope, namespace ?? "", name);
  // Sorted, as kubeseal's (Go map) output is, so re-sealing gives stable diffs. fromEntries, not
  // assignment: an item named `__proto__` (a valid Secret key) must stay an item.
  const encryptedData: Record<string, string> = Object.fromEntries([...values.keys()].sort()
    .map((key) => [key, encodeStdBase64(hybridEncrypt(certificate.publicKey, values.get(key)!, label))]));

  const templateMeta = cleanMetadata(meta);
  templateMeta.name = name;
  if (namespace) templateMeta.namespace = namespace;
  const annotations = withScopeAnnotations(templateMeta.annotations, scope);
  if (annotations) templateMeta.annotations = annotations;
  else delete templateMeta.annotations;
  const template: SecretTemplate = { metadata: templateMeta };
  if (typeof secret.type === "string" && secret.type) template.type = secret.type;
  if (typeof secret.immutable === "boolean") template.immutable = secret.immutable;

  const topMeta: ObjectMeta = { name };
  if (namespace) topMeta.namespace = namespace;
  const topAnnotations = withScopeAnnotations(undefined, scope);
  if (topAnnotations) topMeta.annotations = topAnnotations;
  return { apiVersion: SEALED_SECRET_API_VERSION, kind: SEALED_SECRET_KIND, metadata: topMeta, spec: { encryptedData, template } };
}

/** The raw byte values of a Secret: `data` (base64) first, then `stringData` (UTF-8), which wins on a clash. */
function secretValues(secret: Record<string, unknown>, display: string): Map<string, Uint8Array> {
  const values = new Map<string, Uint8Array>();
  for (const field of ["data", "stringData"] as const) {
    const map = secret[field];
    if (map === undefined || map === null) continue;
    if (!isObject(map)) throw new SealInputError(`Secret ${display}: ${field} is not a map`);
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== "string") throw new SealInputError(`Secret ${display}: ${field}.${key} is not a string`);
      if (field === "stringData") {
        values.set(key, Buffer.from(value, "utf8"));
        continue;
      }
      const decoded = decodeStdBase64(value);
      if ("problem" in decoded) throw new SealInputError(`Secret ${display}: data.${key} is not valid: ${decoded.problem}`);
      values.set(key, decoded.bytes);
    }
  }
  return values;
}

export interface RawSealTarget {
  scope: SealingScope;
  name?: string;
  namespace?: string;
  now?: Date;
}

/** Seals one value, like `kubeseal --raw`: bare standard base64, to paste into encryptedData by hand. */
export function sealRaw(value: Uint8Array, cert: string | SealingCertificate, target: RawSealTarget): string {
  if (!isSealingScope(target.scope)) throw new SealInputError(`unknown scope ${String(target.scope)}: use strict, namespace-wide or cluster-wide`);
  requirePlace(target.scope, target.namespace, target.name);
  const certificate = assertCertificateUsable(cert, target.now);
  const label = scopeLabel(target.scope, target.namespace ?? "", target.name ?? "");
  return encodeStdBase64(hybridEncrypt(certificate.publicKey, value, label));
}

/** kubeseal's rule: strict needs namespace and name; namespace-wide needs the namespace. */
function requirePlace(scope: SealingScope, namespace: string | undefined, name: string | undefined): void {
  if (scope !== "cluster-wide" && !namespace) {
    throw new SealInputError(`${scope} scope binds the namespace: give the namespace to seal for`);
  }
  if (scope === "strict" && !name) throw new SealInputError("strict scope binds the name: give the Secret name to seal for");
}
