/**
 * Decryption of documents in memory, and the fail-closed check after it: a value that still looks
 * encrypted must never reach the API server (a half-decrypted Secret is worse than none).
 */
import type { DocumentRef } from "./errors.js";

export type EncryptionFormat = "sops" | "sealed";

export interface DecryptedDocument {
  object: Record<string, unknown>;
  /** Id (fingerprint) of the key that decrypted it — never the key. */
  keyId: string;
}

/**
 * One encrypted format: recognises its documents and decrypts them. It is given all matching documents
 * of one file at once, and the file itself, because a SOPS MAC spans every document of a
 * multi-document file and sops reads the file by its own rules. Results come back in the same order.
 * Errors must never quote values.
 */
export interface DocumentDecryptor {
  format: EncryptionFormat;
  matches(body: Record<string, unknown>): boolean;
  decryptFile(docs: { body: Record<string, unknown>; ref: DocumentRef }[], file: { path: string; bytes: Uint8Array }): Promise<DecryptedDocument[]>;
  /** Whole-file decryption (SOPS dotenv/binary/yaml/json), for kustomize generator sources; MAC verified. */
  decryptBytes?(bytes: Uint8Array, format: "yaml" | "json" | "dotenv" | "binary", file: string): Promise<{ plaintext: Uint8Array; keyId: string }>;
}

const ENC_MARK = "ENC[AES256_GCM,";

/** Where in the object something still looks encrypted, as a field path; undefined if clean. */
export function findEncryptedResidue(obj: Record<string, unknown>): string | undefined {
  if ("sops" in obj) return "sops";
  const visit = (v: unknown, at: string): string | undefined => {
    if (typeof v === "string") return v.includes(ENC_MARK) ? at : undefined;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const hit = visit(v[i], `${at}[${i}]`);
        if (hit) return hit;
      }
    } else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        const hit = visit(child, at ? `${at}.${k}` : k);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  const hit = visit(obj, "");
  if (hit) return hit;
  // Secret data is base64: look inside too.
  if (obj.kind === "Secret" && obj.data && typeof obj.data === "object") {
    for (const [k, v] of Object.entries(obj.data as Record<string, unknown>)) {
      if (typeof v === "string" && Buffer.from(v, "base64").toString("latin1").includes(ENC_MARK)) return `data.${k}`;
    }
  }
  return undefined;
}
