/**
 * Kubernetes manifests as the SealedSecret commands read and write them: YAML (any number of documents) or
 * JSON (one object, as kubeseal writes it), written back in the syntax they came in. Documents a command
 * does not touch are passed through with their comments.
 */
import path from "node:path";
import { parseAllDocuments, stringify, type Document } from "yaml";
import { UsageError } from "../config/usage-error.js";
import type { SopsFormat } from "../crypto/sops/index.js";

export type ManifestSyntax = "yaml" | "json";

export interface ManifestDoc {
  /** The parsed document (for pass-through and in-place edits). */
  source: Document;
  /** Its plain value: an object for a manifest, null for an empty document. */
  value: unknown;
  /** 0-based position in the file, for messages. */
  index: number;
}

export interface Manifests {
  syntax: ManifestSyntax;
  text: string;
  docs: ManifestDoc[];
}

/** JSON when asked for or named `.json`; for stdin and other names, JSON when the text opens with `{`. */
export function manifestSyntax(subject: string, text: string, inputType?: SopsFormat): ManifestSyntax {
  if (inputType === "dotenv" || inputType === "binary") {
    throw new UsageError(`--input-type ${inputType}: SealedSecrets are made from and kept in Kubernetes manifests (YAML or JSON); to seal one value use --raw`);
  }
  if (inputType) return inputType;
  const ext = path.extname(subject).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

export function readManifests(bytes: Buffer, subject: string, inputType?: SopsFormat): Manifests {
  const text = bytes.toString("utf8");
  const syntax = manifestSyntax(subject, text, inputType);
  const parsed = parseAllDocuments(text);
  if (!Array.isArray(parsed)) return { syntax, text, docs: [] }; // An empty stream.
  const docs: ManifestDoc[] = [];
  for (const [index, source] of parsed.entries()) {
    const err = source.errors[0];
    if (err) {
      // The parser's own message quotes the source around the error, which may be a secret value: give the place only.
      const at = err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : "";
      throw new UsageError(`${subject}: not valid ${syntax === "json" ? "JSON" : "YAML"}${at} (${err.code})`);
    }
    docs.push({ source, value: source.toJS({ maxAliasCount: 100 }) as unknown, index });
  }
  return { syntax, text, docs };
}

/** One output document: a kept source document, or a new value to print. */
export type OutputDoc = { keep: Document } | { value: unknown };

/** Prints documents in the input's syntax: YAML separated by `---`, or pretty JSON (2 spaces, as kubeseal). */
export function renderManifests(docs: readonly OutputDoc[], syntax: ManifestSyntax): string {
  if (syntax === "json") {
    return docs
      .map((d) => ("keep" in d ? (d.keep.toJS() as unknown) : d.value))
      .filter((v) => v !== null && v !== undefined)
      .map((v) => `${JSON.stringify(v, null, 2)}\n`)
      .join("");
  }
  const parts = docs.flatMap((d) => {
    if ("value" in d) return [stringify(d.value, { lineWidth: 0 })];
    // An empty document (a trailing `---`) is dropped unless it carries comments.
    const s = d.keep.toString({ lineWidth: 0 });
    return d.keep.toJS() === null && !/#/.test(s) ? [] : [s];
  });
  return parts.map((s, i) => (i > 0 && !s.startsWith("---") ? `---\n${s}` : s)).map((s) => (s.endsWith("\n") ? s : `${s}\n`)).join("");
}

/** `file (document 2)` for multi-document files, else the file. */
export function docWhere(subject: string, doc: ManifestDoc, count: number): { file: string; index?: number } {
  return count > 1 ? { file: subject, index: doc.index } : { file: subject };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `ns/name` (or `name`) of a manifest, for messages. */
export function objectName(value: Record<string, unknown>): string {
  const md = isObject(value.metadata) ? value.metadata : {};
  const name = typeof md.name === "string" && md.name ? md.name : "(unnamed)";
  return typeof md.namespace === "string" && md.namespace ? `${md.namespace}/${name}` : name;
}
