/**
 * Turns manifest files into documents, each remembered with its file and index. Manifests are read as
 * kubectl reads them (`kubectl apply -f`): its stream splitting (JSON objects, or YAML documents
 * between `---` lines), YAML 1.1 via go-yaml v2 and sigs.k8s.io/yaml's conversion to JSON
 * (kubectl-yaml.ts), and its expansion of lists.
 */
import { ManifestError, type DocumentRef } from "./errors.js";
import { readYamlDocument, YamlReadError, type JsonValue } from "./kubectl-yaml.js";
import { MAX_NESTING_DEPTH, unsafeIntegerReason } from "./limits.js";

export interface Document {
  ref: DocumentRef;
  /** The parsed document as written (possibly still encrypted). */
  body: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A document of a file before list expansion; line is 1-based, for messages. */
interface RawDocument {
  index: number;
  line: number;
  value: JsonValue;
}

class ReadError extends Error {
  constructor(readonly index: number, message: string) {
    super(message);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** unicode.IsSpace, which kubectl's JSON sniffing uses (a byte-order mark is not a space). */
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LOOKS_LIKE_JSON = new RegExp(`^[${GO_SPACE}]*\\{`);

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** The end of the JSON object or array starting at `from` (just past its closing bracket), if any. */
function jsonValueEnd(text: string, from: number): number | undefined {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/**
 * What JSON.parse accepts but sealsync must refuse: numbers kubectl refuses (beyond float64) or that
 * JavaScript cannot carry exactly (integers beyond 2^53), and nesting beyond the limit.
 */
function checkJson(json: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i] as string;
    if (c === '"') {
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === "\\") i++;
      continue;
    }
    if (c === "{" || c === "[") {
      if (++depth > MAX_NESTING_DEPTH) return `the document nests deeper than ${MAX_NESTING_DEPTH} levels`;
      continue;
    }
    if (c === "}" || c === "]") depth--;
    if (c !== "-" && (c < "0" || c > "9")) continue;
    const m = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(json.slice(i, i + 400)) as RegExpExecArray;
    const token = m[0];
    i += token.length - 1;
    if (m[1] === undefined && m[2] === undefined) {
      const reason = unsafeIntegerReason(BigInt(token));
      if (reason) return reason;
    } else if (!Number.isFinite(Number(token))) {
      return "a number is beyond the range of a 64-bit float (kubectl refuses it too)";
    }
  }
  return undefined;
}

/**
 * kubectl's YAMLReader: documents are the lines between lines starting with `---` (only spaces or a
 * comment may follow it); CRLF line ends count as LF; runs of separators make no empty documents.
 */
function readYamlStream(text: string, firstIndex: number, firstLine: number, out: RawDocument[]): void {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let chunk: string[] = [];
  let chunkLine = firstLine;
  let index = firstIndex;
  const flush = () => {
    const body = chunk.join("");
    try {
      out.push({ index, line: chunkLine, value: readYamlDocument(body) });
    } catch (err) {
      if (!(err instanceof YamlReadError)) throw err;
      throw new ReadError(index, err.offset === undefined ? err.message : err.at(chunkLine + lineAt(body, err.offset) - 1));
    }
    index++;
    chunk = [];
  };
  lines.forEach((raw, i) => {
    // bufio's ReadLine drops a \r only before a \n.
    const line = raw.endsWith("\r") && (i < lines.length - 1 || text.endsWith("\n")) ? raw.slice(0, -1) : raw;
    if (line.startsWith("---")) {
      const rest = line.slice(3).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        throw new ReadError(index, `line ${firstLine + i}: kubectl accepts only spaces or a comment after a --- document separator`);
      }
      if (chunk.length > 0) flush();
      chunkLine = firstLine + i + 1;
      return;
    }
    if (chunk.length === 0) chunkLine = firstLine + i;
    chunk.push(`${line}\n`);
  });
  if (chunk.length > 0) flush();
}

/**
 * kubectl's YAMLOrJSONDecoder: a stream starting with `{` is read as JSON objects one after another;
 * if the first or second fails to parse as JSON, the rest is read as YAML.
 */
function readStream(text: string): RawDocument[] {
  const out: RawDocument[] = [];
  if (!LOOKS_LIKE_JSON.test(text)) {
    readYamlStream(text, 0, 1, out);
    return out;
  }
  let pos = 0;
  for (;;) {
    while (pos < text.length && " \t\r\n".includes(text[pos] as string)) pos++;
    if (pos >= text.length) return out;
    const end = text[pos] === "{" || text[pos] === "[" ? jsonValueEnd(text, pos) : undefined;
    let value: JsonValue | undefined;
    if (end !== undefined) {
      try {
        value = JSON.parse(text.slice(pos, end)) as JsonValue;
      } catch {
        value = undefined;
      }
    }
    if (value === undefined) {
      if (out.length > 1) throw new ReadError(out.length, `invalid JSON at line ${lineAt(text, pos)}`);
      // kubectl falls back to YAML for the rest, after the whitespace up to the first line end.
      const nl = /^[ \t\r]*\n/.exec(text.slice(pos));
      const from = pos + (nl ? nl[0].length : 0);
      readYamlStream(text.slice(from), out.length, lineAt(text, from), out);
      return out;
    }
    const reason = checkJson(text.slice(pos, end));
    if (reason) throw new ReadError(out.length, `line ${lineAt(text, pos)}: ${reason}`);
    out.push({ index: out.length, line: lineAt(text, pos), value });
    pos = end as number;
  }
}

/**
 * kubectl's list handling (unstructured decoding): a document with an `items` field is a list whose
 * items are applied one by one; an item with neither kind nor apiVersion takes the list's
 * (kind without the "List" suffix).
 */
function expandList(doc: Document, errors: ManifestError[]): Document[] {
  if (!("items" in doc.body) || "sops" in doc.body) return [doc];
  const items = doc.body.items;
  if (items === null) return [];
  if (!Array.isArray(items)) {
    errors.push(new ManifestError(doc.ref, "parse", "items must be a list (kubectl reads any document with items as a list)"));
    return [];
  }
  const listKind = typeof doc.body.kind === "string" ? doc.body.kind : "";
  return items.flatMap((item: unknown, i) => {
    const ref = { ...doc.ref, item: i };
    if (!isObject(item)) {
      errors.push(new ManifestError(ref, "parse", "a list item must be an object"));
      return [];
    }
    const kindless = !item.kind && !item.apiVersion;
    const body = kindless ? { ...item, apiVersion: doc.body.apiVersion, kind: listKind.replace(/List$/, "") } : item;
    return [{ ref, body }];
  });
}

/** Every non-empty document of one file, before list expansion, or the file's first error. */
export function readManifestValues(bytes: Uint8Array, file: string): { index: number; value: Record<string, unknown> }[] {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ManifestError({ file, index: 0 }, "parse", "the file is not valid UTF-8 text");
  }
  let raw: RawDocument[];
  try {
    raw = readStream(text);
  } catch (err) {
    if (err instanceof ReadError) throw new ManifestError({ file, index: err.index }, "parse", err.message);
    throw err;
  }
  const out: { index: number; value: Record<string, unknown> }[] = [];
  for (const { index, value } of raw) {
    if (value === null) continue; // an empty document, e.g. a trailing `---`
    if (!isObject(value)) throw new ManifestError({ file, index }, "parse", "a manifest document must be a mapping/object");
    out.push({ index, value });
  }
  return out;
}

/**
 * The manifest reader: one file's bytes to the objects kubectl would send for it (lists expanded), or
 * the reasons kubectl would refuse it. Used for Git files, decrypted SOPS output and kustomize output.
 */
export function readManifests(bytes: Uint8Array, file: string): { documents: Document[]; errors: ManifestError[] } {
  const errors: ManifestError[] = [];
  let values: { index: number; value: Record<string, unknown> }[];
  try {
    values = readManifestValues(bytes, file);
  } catch (err) {
    if (err instanceof ManifestError) return { documents: [], errors: [err] };
    throw err;
  }
  const documents = values.flatMap(({ index, value }) => expandList({ ref: { file, index }, body: value }, errors));
  return { documents, errors };
}

/**
 * Parses every file; returns the documents and every parse error (a revision with any error is
 * refused whole, but all problems are reported at once). Parse errors quote positions, never content.
 */
export function parseFiles(files: ReadonlyMap<string, Uint8Array>): { documents: Document[]; errors: ManifestError[] } {
  const documents: Document[] = [];
  const errors: ManifestError[] = [];
  for (const file of [...files.keys()].sort()) {
    const read = readManifests(files.get(file) as Uint8Array, file);
    documents.push(...read.documents);
    errors.push(...read.errors);
  }
  return { documents, errors };
}
