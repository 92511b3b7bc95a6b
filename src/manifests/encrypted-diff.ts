/**
 * Review of encrypted files: for two versions of one file (either may be missing: added or deleted), what
 * changed in its SOPS values or its SealedSecrets, without a key or with one. Files that hold neither are
 * not ours to describe (undefined). Problems with one file are returned as its outcome, so a review of a
 * whole change set goes on past a broken file.
 */
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { AgeIdentity } from "../crypto/age.js";
import { diffSealedSecrets, type SealedObjectDiff } from "../crypto/sealed/diff.js";
import { isSealedSecret, SealedSecretError, type RsaKey } from "../crypto/sealed/index.js";
import { diffSopsFiles, sopsFileKeys, type SopsFileDiff } from "../crypto/sops/diff.js";
import { isEncryptedFile, SopsError, type SopsFormat } from "../crypto/sops/index.js";

export type FileStatus = "added" | "removed" | "modified";

export type EncryptedFileDiff =
  | { file: string; kind: "sops"; status: "added" | "removed"; keys: string[]; recipients: string[] }
  | { file: string; kind: "sops"; status: "modified"; diff: SopsFileDiff }
  | { file: string; kind: "sealed"; status: FileStatus; objects: SealedObjectDiff[] }
  | { file: string; kind: "error"; status: FileStatus; message: string };

export interface DiffKeys {
  identities?: readonly AgeIdentity[];
  rsa?: readonly RsaKey[];
  /** Namespace of SealedSecrets without metadata.namespace (for unsealing with a key). */
  namespace?: string;
}

const FORMATS: Record<string, SopsFormat> = { ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv" };

/** Whether a path names a file this review reads (YAML, JSON, dotenv). */
export function isReviewable(file: string): boolean {
  return FORMATS[path.extname(file).toLowerCase()] !== undefined;
}

function manifestValues(bytes: Uint8Array | undefined, format: SopsFormat): unknown[] {
  if (!bytes || format === "dotenv") return [];
  const text = Buffer.from(bytes).toString("utf8");
  try {
    if (format === "json") return [JSON.parse(text) as unknown];
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return [];
    return docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
  } catch {
    return [];
  }
}

export async function diffEncryptedFile(file: string, before: Uint8Array | undefined, after: Uint8Array | undefined, keys: DiffKeys = {}): Promise<EncryptedFileDiff | undefined> {
  const format = FORMATS[path.extname(file).toLowerCase()];
  if (!format) return undefined;
  const status: FileStatus = before === undefined ? "added" : after === undefined ? "removed" : "modified";
  try {
    const sopsBefore = before !== undefined && isEncryptedFile(before, format, file);
    const sopsAfter = after !== undefined && isEncryptedFile(after, format, file);
    if (sopsBefore && sopsAfter) {
      const diff = await diffSopsFiles(before!, after!, { format, file, identities: keys.identities });
      return { file, kind: "sops", status: "modified", diff };
    }
    if (sopsBefore || sopsAfter) {
      const { keys: paths, recipients } = sopsFileKeys((sopsAfter ? after : before)!, format, file);
      return { file, kind: "sops", status: sopsAfter ? "added" : "removed", keys: paths, recipients };
    }
    const va = manifestValues(before, format);
    const vb = manifestValues(after, format);
    if (!va.some(isSealedSecret) && !vb.some(isSealedSecret)) return undefined;
    return { file, kind: "sealed", status, objects: diffSealedSecrets(va, vb, keys.rsa ?? [], keys.namespace) };
  } catch (err) {
    if (err instanceof SopsError || err instanceof SealedSecretError) return { file, kind: "error", status, message: err.message };
    throw err;
  }
}

/** True when the outcome is a difference a reviewer should look at. */
export function hasChanges(d: EncryptedFileDiff): boolean {
  if (d.kind === "sops" && d.status === "modified") {
    const x = d.diff;
    return x.keys.length > 0 || x.reencrypted || x.recipientsAdded.length > 0 || x.recipientsRemoved.length > 0;
  }
  if (d.kind === "sealed") return d.objects.length > 0;
  return true;
}
