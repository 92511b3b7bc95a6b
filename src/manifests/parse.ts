/** Turns manifest files into documents, each remembered with its file and index. */
import { parseAllDocuments } from "yaml";
import { ManifestError, type DocumentRef } from "./errors.js";
import { MAX_DEPTH, bracketDepthOver, checkDocumentLimits } from "./limits.js";

export interface Document {
  ref: DocumentRef;
  /** The parsed document as written (possibly still encrypted). */
  body: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Expands `kind: List` (as `kubectl get -o yaml` writes it) into its items. */
function expandList(doc: Document, errors: ManifestError[]): Document[] {
  if (doc.body.kind !== "List" || !Array.isArray(doc.body.items) || "sops" in doc.body) return [doc];
  return doc.body.items.flatMap((item, i) => {
    const ref = { ...doc.ref, item: i };
    if (isObject(item)) return [{ ref, body: item }];
    errors.push(new ManifestError(ref, "parse", "a List item must be an object"));
    return [];
  });
}

/**
 * Parses every file; returns the documents and every parse error (a revision with any error is
 * refused whole, but all problems are reported at once). Parse errors quote positions, never content.
 */
export function parseFiles(files: ReadonlyMap<string, Uint8Array>): { documents: Document[]; errors: ManifestError[] } {
  const documents: Document[] = [];
  const errors: ManifestError[] = [];
  const paths = [...files.keys()].sort();
  for (const file of paths) {
    const text = Buffer.from(files.get(file) as Uint8Array).toString("utf8");
    const raw: { index: number; value: unknown }[] = [];
    // Before any parser that may recurse: a clear error instead of a RangeError stack.
    if (bracketDepthOver(text)) {
      errors.push(new ManifestError({ file, index: 0 }, "parse", `nested deeper than ${MAX_DEPTH} levels; refused before parsing`));
      continue;
    }
    if (/\.json$/i.test(file)) {
      try {
        raw.push({ index: 0, value: JSON.parse(text) });
      } catch (err) {
        errors.push(new ManifestError({ file, index: 0 }, "parse", `invalid JSON: ${positionOnly((err as Error).message)}`));
        continue;
      }
    } else {
      // prettyErrors adds line/column positions; only the code and position are reported, never source text.
      parseAllDocuments(text, { prettyErrors: true }).forEach((d, index) => {
        if ("errors" in d && d.errors.length > 0) {
          const e = d.errors[0];
          const at = e?.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
          errors.push(new ManifestError({ file, index }, "parse", `invalid YAML${at} (${e?.code ?? "error"})`));
          return;
        }
        try {
          raw.push({ index, value: d.toJS({ maxAliasCount: 100 }) });
        } catch (err) {
          // An alias bomb ("billion laughs"): this document is refused; the other files still report.
          const bomb = /alias/i.test((err as Error).message);
          errors.push(new ManifestError({ file, index }, "parse", bomb ? "too many YAML aliases (over 100 expansions: an alias bomb?)" : "invalid YAML"));
        }
      });
    }
    for (const { index, value } of raw) {
      if (value === null || value === undefined) continue; // empty document, e.g. a trailing `---`
      if (!isObject(value)) {
        errors.push(new ManifestError({ file, index }, "parse", "a manifest document must be a mapping/object"));
        continue;
      }
      const problems = checkDocumentLimits(value);
      if (problems.length > 0) {
        for (const p of problems) errors.push(new ManifestError({ file, index }, "parse", `${p.path || "the document"}: ${p.message}`));
        continue;
      }
      documents.push(...expandList({ ref: { file, index }, body: value }, errors));
    }
  }
  return { documents, errors };
}

/** JSON.parse messages can quote input text; keep only the position. */
function positionOnly(message: string): string {
  const m = /position (\d+)/.exec(message) ?? /line (\d+) column (\d+)/.exec(message);
  return m ? `syntax error near ${m[0]}` : "syntax error";
}
