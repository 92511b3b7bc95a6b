/**
 * Deciding "unchanged" without asking the API server, so a resync with nothing to do costs one LIST
 * per kind instead of one dry-run per object. Both must hold, else the caller falls back to a dry-run:
 *   1. the live object carries the digest of the same source document (so nothing was added to or
 *      removed from the manifest since sealsync applied it), and
 *   2. every field of the manifest has the same value live (so nobody changed a field we own).
 * Fields that the server normalises (quantities, int-or-string) just fail check 2 and take the
 * dry-run path — slower, never wrong.
 */
import { createHash } from "node:crypto";
import type { KubeObject } from "../kube/client.js";

export const DIGEST_ANNOTATION = "sealsync.dev/source-digest";

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * Digest of a document as stored in Git — ciphertext for encrypted documents, so no plaintext is ever
 * hashed into an annotation — plus what sealsync adds to it.
 */
export function sourceDigest(sourceBody: unknown, extra: Record<string, string>): string {
  return createHash("sha256").update(canonical(sourceBody)).update("\n").update(canonical(extra)).digest("base64url");
}

function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (want && typeof want === "object") {
    if (!have || typeof have !== "object" || Array.isArray(have)) return false;
    return Object.entries(want).every(([k, w]) => isSubset(w, (have as Record<string, unknown>)[k]));
  }
  return want === have;
}

/** True when applying `desired` could not change `live` (see the module comment). */
export function provablyUnchanged(desired: KubeObject, live: KubeObject): boolean {
  const digest = desired.metadata.annotations?.[DIGEST_ANNOTATION];
  if (!digest || live.metadata.annotations?.[DIGEST_ANNOTATION] !== digest) return false;
  if (desired.kind === "Secret" && desired.stringData && typeof desired.stringData === "object") {
    // The server folds stringData into data (base64) and keeps no stringData.
    const { stringData, ...rest } = desired;
    const data = { ...(rest.data as Record<string, string> | undefined) };
    for (const [k, v] of Object.entries(stringData as Record<string, unknown>)) {
      if (typeof v !== "string") return false;
      data[k] = Buffer.from(v, "utf8").toString("base64");
    }
    return isSubset({ ...rest, data }, live);
  }
  return isSubset(desired, live);
}
