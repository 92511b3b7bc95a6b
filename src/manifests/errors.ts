/** Why a document of a revision was refused: what rule, where (file, document index, object). */
export interface DocumentRef {
  file: string;
  /** 0-based index of the document in its file (YAML stream or JSON file). */
  index: number;
  /** Set for an item of a `kind: List`. */
  item?: number;
  /** "Kind/name" when known. */
  object?: string;
}

export function describeRef(ref: DocumentRef): string {
  const item = ref.item === undefined ? "" : ` item ${ref.item}`;
  return `${ref.file} (document ${ref.index}${item}${ref.object ? `, ${ref.object}` : ""})`;
}

export type RejectionRule =
  | "parse"
  | "required-fields"
  | "namespace"
  | "cluster-scoped"
  | "unknown-kind"
  | "duplicate"
  | "decrypt"
  | "still-encrypted"
  | "reserved"
  | "key-access"
  | "foreign-subject"
  | "source"
  | "kustomize";

/** One refused document. The message never holds a decrypted value. */
export class ManifestError extends Error {
  /** `format`: for a "decrypt" refusal, which kind of encryption could not be opened. */
  constructor(readonly ref: DocumentRef, readonly rule: RejectionRule, readonly reason: string, readonly format?: "sops" | "sealed") {
    super(`${describeRef(ref)}: ${reason}`);
    this.name = "ManifestError";
  }
}

/** A revision refused as a whole, with every reason at once (not only the first). */
export class RevisionRejectedError extends Error {
  constructor(readonly revision: string, readonly errors: ManifestError[]) {
    super(`revision ${revision.slice(0, 12)} refused, nothing applied (${errors.length} problem${errors.length === 1 ? "" : "s"}):\n` +
      errors.map((e) => `  - ${e.message}`).join("\n"));
    this.name = "RevisionRejectedError";
  }
}
