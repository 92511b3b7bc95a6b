/**
 * Builds a kustomization with the real kustomize, without ever handing it a secret:
 *   refuse what the tree reader found (remote bases, helm, plugins, escapes, symlinks) → decrypt every
 *   encrypted file in memory and put placeholders in place of its values → kustomize build in a temporary
 *   0700 folder (removed after) → parse its output with the manifest reader → put the values back in
 *   memory, refusing any that moved to another object → skip the managed Namespace.
 * Every failure refuses the revision with the file it concerns.
 */
import type { DocumentDecryptor, EncryptionFormat } from "../../manifests/decrypt.js";
import { ManifestError, RevisionRejectedError, type DocumentRef } from "../../manifests/errors.js";
import { parseFiles } from "../../manifests/parse.js";
import type { Revision } from "../../source/revision.js";
import { PlaceholderLeakError, Placeholders } from "./placeholders.js";
import { prepareTree } from "./prepare.js";
import { KustomizeRunError, runKustomize, DEFAULT_KUSTOMIZE_COMMAND } from "./run.js";

export { DEFAULT_KUSTOMIZE_COMMAND };

export interface KustomizeBuildOptions {
  decryptors: DocumentDecryptor[];
  /** The placeholder HMAC key (kept in the cluster). */
  key: Uint8Array;
  namespace: string;
  dataDir: string;
  command?: string;
}

export interface BuiltDocument {
  ref: DocumentRef;
  /** The object with the real values (in memory only). */
  body: Record<string, unknown>;
  /** The object as built, placeholders in place of values: what the source digest is taken over. */
  source: Record<string, unknown>;
  /** Set when the object holds values that were encrypted in Git. */
  decryption?: { format: EncryptionFormat; keyId: string };
}

export interface KustomizeBuild {
  documents: BuiltDocument[];
  warnings: string[];
}

export async function buildKustomization(revision: Revision, opts: KustomizeBuildOptions): Promise<KustomizeBuild> {
  const tree = revision.kustomize;
  if (!tree) throw new Error("buildKustomization: the revision holds no kustomization");
  const reject = (errors: ManifestError[]) => new RevisionRejectedError(revision.sha, errors);
  const rootFile = [...tree.uses].find(([, u]) => u.some((x) => x.as === "kustomization"))?.[0] ?? (tree.root || ".");

  // 1. What the reader refused (remote bases, helm, plugins, escapes, symlinks).
  if (tree.problems.length > 0) {
    throw reject(tree.problems.map((p) => {
      const at = p.indexOf(": ");
      return new ManifestError({ file: p.slice(0, at), index: 0 }, "kustomize", p.slice(at + 2));
    }));
  }

  // 2. Decrypt in memory; placeholders in the tree kustomize gets.
  const placeholders = new Placeholders(opts.key);
  const prepared = await prepareTree(tree, opts.decryptors, placeholders);
  if (prepared.errors.length > 0) throw reject(prepared.errors);

  // 3. Build.
  let output: Uint8Array;
  const warnings: string[] = [];
  try {
    const run = await runKustomize(prepared.files, tree.root, { command: opts.command ?? DEFAULT_KUSTOMIZE_COMMAND, dataDir: opts.dataDir });
    output = run.stdout;
    warnings.push(...run.warnings.map((w) => `kustomize (${rootFile}): ${w}`));
  } catch (err) {
    if (!(err instanceof KustomizeRunError)) throw err;
    throw reject([new ManifestError({ file: rootFile, index: 0 }, "kustomize", err.message)]);
  }

  // 4. Parse kustomize's output with the manifest reader, and put the values back.
  const label = `kustomize build ${tree.root || "."}`;
  const parsed = parseFiles(new Map([[label, output]]));
  if (parsed.errors.length > 0) throw reject(parsed.errors);
  const documents: BuiltDocument[] = [];
  const errors: ManifestError[] = [];
  for (const doc of parsed.documents) {
    const meta = (doc.body.metadata ?? {}) as Record<string, unknown>;
    const ref: DocumentRef = { ...doc.ref, object: `${String(doc.body.kind)}/${String(meta.name)}` };
    // Overlays usually carry their Namespace; it is the one sealsync manages, not one to create.
    if (doc.body.kind === "Namespace" && doc.body.apiVersion === "v1" && meta.name === opts.namespace) {
      warnings.push(`${label}: Namespace/${opts.namespace} skipped: it is the namespace sealsync manages, not an object it applies`);
      continue;
    }
    try {
      const { body, origins } = placeholders.reveal(doc.body);
      const first = origins[0];
      documents.push({ ref, body, source: doc.body, decryption: first ? { format: first.format, keyId: first.keyId } : undefined });
    } catch (err) {
      if (!(err instanceof PlaceholderLeakError)) throw err;
      errors.push(new ManifestError(ref, "kustomize", err.message));
    }
  }
  if (errors.length > 0) throw reject(errors);
  return { documents, warnings };
}
