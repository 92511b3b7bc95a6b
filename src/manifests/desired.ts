/**
 * The desired set of one revision: every document parsed, decrypted in memory, validated and ordered.
 * Either every document passes, or the revision is refused with every problem listed.
 */
import { UnknownKindError, splitApiVersion, type Discovery, type ResourceInfo } from "../kube/discovery.js";
import type { KubeObject } from "../kube/client.js";
import type { Revision } from "../source/revision.js";
import { findEncryptedResidue, type DocumentDecryptor, type EncryptionFormat } from "./decrypt.js";
import { ManifestError, RevisionRejectedError, type DocumentRef } from "./errors.js";
import { applyOrder } from "./order.js";
import { parseFiles } from "./parse.js";
import { checkProtected, type ProtectedObjects } from "./protect.js";

export interface DesiredObject {
  ref: DocumentRef;
  object: KubeObject;
  resource: ResourceInfo;
  /** "group/Kind/name" — unique within the set. */
  key: string;
  /** Set when the document was encrypted in Git. */
  decryption?: { format: EncryptionFormat; keyId: string };
  /** The document as written in Git (ciphertext when encrypted), for the source digest. */
  source: Record<string, unknown>;
}

export interface DesiredSetOptions {
  namespace: string;
  discovery: Discovery;
  decryptors: DocumentDecryptor[];
  /** What sealsync stands on (keys, parent, Lease, ServiceAccount), which a revision may not touch. */
  protect: ProtectedObjects;
  /** Other objects the tool owns itself (a kustomize placeholder key), which a revision may not define. */
  reserved?: { kind: string; name: string }[];
  /** Documents already built and decrypted (a kustomize build) instead of the revision's files. */
  built?: PreparedDocument[];
}

/** A document that arrives decrypted: its body holds the values, its source what the digest covers. */
export interface PreparedDocument {
  ref: DocumentRef;
  body: Record<string, unknown>;
  source: Record<string, unknown>;
  decryption?: { format: EncryptionFormat; keyId: string };
}

export function objectKey(apiVersion: string, kind: string, name: string): string {
  return `${splitApiVersion(apiVersion).group}/${kind}/${name}`;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Builds the desired set, or throws RevisionRejectedError listing every problem. */
export async function buildDesiredSet(revision: Revision, opts: DesiredSetOptions): Promise<DesiredObject[]> {
  const { documents, errors } = opts.built
    ? { documents: opts.built, errors: [] as ManifestError[] }
    : parseFiles(revision.files);
  const objects: DesiredObject[] = [];
  const seen = new Map<string, DocumentRef>();

  // Decrypt first, file by file and format by format (a SOPS MAC spans a whole multi-document file).
  const decrypted = new Map<(typeof documents)[number], DesiredObject["decryption"] & { object: Record<string, unknown> }>();
  const failed = new Map<(typeof documents)[number], { message: string; format: ManifestError["format"] }>();
  for (const doc of opts.built ?? []) {
    if (doc.decryption) decrypted.set(doc, { ...doc.decryption, object: doc.body });
  }
  for (const decryptor of opts.built ? [] : opts.decryptors) {
    const byFile = new Map<string, typeof documents>();
    for (const doc of documents) {
      if (!decryptor.matches(doc.body)) continue;
      if (!byFile.has(doc.ref.file)) byFile.set(doc.ref.file, []);
      byFile.get(doc.ref.file)?.push(doc);
    }
    for (const [file, group] of byFile) {
      try {
        const bytes = revision.files.get(file) ?? new Uint8Array();
        const out = await decryptor.decryptFile(group.map((d) => ({ body: d.body, ref: d.ref })), { path: file, bytes });
        group.forEach((d, i) => decrypted.set(d, { format: decryptor.format, keyId: out[i]?.keyId ?? "", object: out[i]?.object ?? {} }));
      } catch (err) {
        for (const d of group) failed.set(d, { message: (err as Error).message, format: decryptor.format });
      }
    }
  }

  for (const doc of documents) {
    const ref: DocumentRef = { ...doc.ref };
    const fail = (rule: ManifestError["rule"], reason: string, format?: ManifestError["format"]) =>
      errors.push(new ManifestError(ref, rule, reason, format));
    let body = doc.body;
    const meta = (body.metadata ?? {}) as Record<string, unknown>;
    if (typeof body.kind === "string" && typeof meta.name === "string") ref.object = `${body.kind}/${meta.name}`;

    let decryption: DesiredObject["decryption"];
    const decryptError = failed.get(doc);
    if (decryptError !== undefined) {
      fail("decrypt", decryptError.message, decryptError.format);
      continue;
    }
    const out = decrypted.get(doc);
    if (out) {
      body = out.object;
      decryption = { format: out.format, keyId: out.keyId };
    }
    const residue = findEncryptedResidue(body);
    if (residue) {
      fail("still-encrypted", `${residue} still looks encrypted after decryption; refusing to send it to the API server ` +
        "(is the file SOPS-encrypted with a sops block sealsync can read?)");
      continue;
    }

    const metadata = body.metadata as Record<string, unknown> | undefined;
    if (typeof body.apiVersion !== "string" || typeof body.kind !== "string" ||
      typeof metadata !== "object" || metadata === null || typeof metadata.name !== "string" || !metadata.name) {
      fail("required-fields", "apiVersion, kind and metadata.name are required");
      continue;
    }
    const { apiVersion, kind } = body;
    const name = metadata.name;
    ref.object = `${kind}/${name}`;
    if (metadata.namespace !== undefined && metadata.namespace !== opts.namespace) {
      const fix = decryption?.format === "sealed"
        ? `re-seal it for "${opts.namespace}" (the ciphertext of a strict or namespace-wide SealedSecret is bound to its namespace)`
        : `remove metadata.namespace or set it to "${opts.namespace}"`;
      fail("namespace", `metadata.namespace is ${JSON.stringify(metadata.namespace)} but sealsync only manages namespace ` +
        `"${opts.namespace}": ${fix}`);
      continue;
    }
    const violations = checkProtected(body, apiVersion, kind, name, opts.namespace, opts.protect);
    if (violations.length > 0) {
      for (const v of violations) fail(v.rule, `${v.reason} (rule ${v.rule})`);
      continue;
    }
    if (opts.reserved?.some((r) => r.kind === kind && r.name === name)) {
      fail("reserved", `${kind}/${name} is sealsync's own object (its kustomize placeholder key); rename yours (rule reserved)`);
      continue;
    }
    let resource: ResourceInfo;
    try {
      resource = await opts.discovery.resolve(apiVersion, kind);
    } catch (err) {
      if (err instanceof UnknownKindError) {
        fail("unknown-kind", `${err.message}`);
        continue;
      }
      throw err;
    }
    if (!resource.namespaced) {
      fail("cluster-scoped", `${kind} is cluster-scoped; sealsync only applies namespaced objects into "${opts.namespace}"`);
      continue;
    }
    const key = objectKey(apiVersion, kind, name);
    const first = seen.get(key);
    if (first) {
      fail("duplicate", `${kind}/${name} is also defined in ${first.file} (document ${first.index})`);
      continue;
    }
    seen.set(key, ref);

    const annotations = { ...(metadata.annotations as Record<string, string> | undefined) };
    delete annotations[LAST_APPLIED];
    const object = {
      ...body,
      metadata: {
        ...metadata,
        namespace: opts.namespace,
        ...(Object.keys(annotations).length ? { annotations } : { annotations: undefined }),
      },
    } as KubeObject;
    if (!object.metadata.annotations) delete object.metadata.annotations;
    objects.push({ ref, object, resource, key, decryption, source: "source" in doc ? (doc as PreparedDocument).source : doc.body });
  }

  if (errors.length > 0) {
    errors.sort((a, b) => (a.ref.file !== b.ref.file ? (a.ref.file < b.ref.file ? -1 : 1) : a.ref.index - b.ref.index));
    throw new RevisionRejectedError(revision.sha, errors);
  }
  return applyOrder(objects, (o) => ({ kind: o.object.kind, name: o.object.metadata.name }));
}
