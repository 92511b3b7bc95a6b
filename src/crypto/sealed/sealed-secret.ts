/**
 * The `bitnami.com/v1alpha1` SealedSecret document: its types, recognition, and strict reading into what
 * unsealing needs. Everything here runs before any key is touched, so a malformed document fails without
 * a single decryption attempt.
 */
import { decodeStdBase64 } from "./base64.js";
import { SealedItemEncodingError, SealedItemTruncatedError, SealedSecretFormatError, UnsupportedTemplateDataError, type SealedWhere } from "./errors.js";
import { splitItem, type SealedItemParts } from "./hybrid.js";
import { isObject } from "./rsa-key.js";
import { scopeFromAnnotations, scopeLabel, type SealingScope } from "./scope.js";

export const SEALED_SECRET_API_VERSION = "bitnami.com/v1alpha1";
export const SEALED_SECRET_KIND = "SealedSecret";

/** Kubernetes object metadata as it appears in manifests (only the fields we touch are typed). */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface SecretObject {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ObjectMeta;
  type?: string;
  immutable?: boolean;
  /** Standard base64 values, as the Kubernetes API wants them. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface SecretTemplate {
  metadata?: ObjectMeta;
  type?: string;
  immutable?: boolean;
  /** Go-template data: read and preserved, never rendered (unsealing rejects it). */
  data?: Record<string, string>;
}

export interface SealedSecretObject {
  apiVersion: typeof SEALED_SECRET_API_VERSION;
  kind: typeof SEALED_SECRET_KIND;
  metadata: ObjectMeta;
  spec: {
    encryptedData: Record<string, string>;
    template?: SecretTemplate;
  };
}

/**
 * True for any `bitnami.com/…` SealedSecret, including versions we cannot read, so the caller routes them to
 * unsealing (which then fails clearly) instead of applying them as-is.
 */
export function isSealedSecret(doc: unknown): boolean {
  return isObject(doc) && doc.kind === SEALED_SECRET_KIND && typeof doc.apiVersion === "string" && doc.apiVersion.startsWith("bitnami.com/");
}

/** A SealedSecret read and checked: its place, scope label, and items split into their RSA and AES parts. */
export interface ParsedSealedSecret {
  name: string;
  namespace: string | undefined;
  /** `namespace/name` for messages. */
  display: string;
  scope: SealingScope;
  label: Buffer;
  items: { key: string; parts: SealedItemParts }[];
  template: SecretTemplate;
}

export interface ReadOptions {
  /** Namespace for a SealedSecret without metadata.namespace (the one it will be applied to). */
  defaultNamespace?: string;
  /** Re-encryption copies template.data untouched; unsealing refuses it. */
  allowTemplateData?: boolean;
}

export function readSealedSecret(doc: unknown, where?: SealedWhere, options: ReadOptions = {}): ParsedSealedSecret {
  const fail = (msg: string): never => {
    throw new SealedSecretFormatError(msg, where);
  };
  if (!isObject(doc) || !isSealedSecret(doc)) return fail("not a SealedSecret (expected apiVersion bitnami.com/v1alpha1, kind SealedSecret)");
  if (doc.apiVersion !== SEALED_SECRET_API_VERSION) {
    return fail(`SealedSecret apiVersion ${String(doc.apiVersion)} is not supported; sealsync reads ${SEALED_SECRET_API_VERSION}`);
  }
  const meta = isObject(doc.metadata) ? doc.metadata : fail("SealedSecret has no metadata");
  const name = typeof meta.name === "string" && meta.name ? meta.name : fail("SealedSecret has no metadata.name");
  if (meta.namespace !== undefined && typeof meta.namespace !== "string") fail(`SealedSecret ${name}: metadata.namespace is not a string`);
  const annotations = meta.annotations === undefined || meta.annotations === null ? undefined
    : isObject(meta.annotations) ? meta.annotations : fail(`SealedSecret ${name}: metadata.annotations is not a map`);
  // Upstream reads the scope from the top-level annotations only; the template's cannot change it.
  const scope = scopeFromAnnotations(annotations);
  const namespace = (meta.namespace as string | undefined) || options.defaultNamespace;
  const display = `${namespace ?? "(no namespace)"}/${name}`;
  if (namespace === undefined && scope !== "cluster-wide") {
    fail(`SealedSecret ${display} has no metadata.namespace, which its ${scope} scope binds; set the namespace it was sealed for`);
  }

  const spec = isObject(doc.spec) ? doc.spec : fail(`SealedSecret ${display} has no spec`);
  if (spec.data !== undefined && spec.data !== null) {
    fail(`SealedSecret ${display} uses the deprecated v1 spec.data blob, which sealsync does not read; re-seal it with a current kubeseal or \`seal encrypt --format sealed\``);
  }
  const encryptedData = isObject(spec.encryptedData) ? spec.encryptedData : fail(`SealedSecret ${display} has no spec.encryptedData map`);
  const template = readTemplate(spec.template, display, fail);
  const templateKeys = Object.keys(template.data ?? {});
  if (templateKeys.length && !options.allowTemplateData) throw new UnsupportedTemplateDataError(display, templateKeys, where);

  const items = Object.entries(encryptedData).map(([key, value]) => {
    if (typeof value !== "string") return fail(`item ${key} of SealedSecret ${display} is not a string`);
    const decoded = decodeStdBase64(value);
    if ("problem" in decoded) throw new SealedItemEncodingError(display, key, decoded.problem, where);
    const parts = splitItem(decoded.bytes);
    if ("problem" in parts) throw new SealedItemTruncatedError(display, key, parts.problem, where);
    return { key, parts };
  });
  return { name, namespace, display, scope, label: scopeLabel(scope, namespace ?? "", name), items, template };
}

function readTemplate(raw: unknown, display: string, fail: (msg: string) => never): SecretTemplate {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) return fail(`SealedSecret ${display}: spec.template is not a map`);
  const out: SecretTemplate = {};
  if (raw.metadata !== undefined && raw.metadata !== null) {
    out.metadata = isObject(raw.metadata) ? (raw.metadata as ObjectMeta) : fail(`SealedSecret ${display}: spec.template.metadata is not a map`);
  }
  if (raw.type !== undefined && raw.type !== null && raw.type !== "") {
    out.type = typeof raw.type === "string" ? raw.type : fail(`SealedSecret ${display}: spec.template.type is not a string`);
  }
  if (raw.immutable !== undefined && raw.immutable !== null) {
    out.immutable = typeof raw.immutable === "boolean" ? raw.immutable : fail(`SealedSecret ${display}: spec.template.immutable is not a boolean`);
  }
  if (raw.data !== undefined && raw.data !== null) {
    out.data = isObject(raw.data) ? (raw.data as Record<string, string>) : fail(`SealedSecret ${display}: spec.template.data is not a map`);
  }
  return out;
}

// Fields the API server owns, or that would leak plaintext (last-applied) or tie the Secret to a foreign owner.
const SERVER_FIELDS = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
  "deletionGracePeriodSeconds", "selfLink", "managedFields", "ownerReferences"];
const LAST_APPLIED = ["kubectl.kubernetes.io/last-applied-configuration", "kubecfg.ksonnet.io/last-applied-configuration"];

/** A deep copy of object metadata without server-owned fields and last-applied annotations (as kubeseal strips them). */
export function cleanMetadata(meta: ObjectMeta | undefined): ObjectMeta {
  const out = structuredClone(meta ?? {}) as ObjectMeta;
  for (const field of SERVER_FIELDS) delete out[field];
  if (out.annotations) {
    for (const a of LAST_APPLIED) delete out.annotations[a];
    if (!Object.keys(out.annotations).length) delete out.annotations;
  }
  return out;
}
