/**
 * The YAML store: multi-document YAML to SOPS trees and back, byte-compatible with what sops (go-yaml
 * v3, indent 4) writes for block-style documents. Comments become comment nodes in document order.
 */
import { Alias, isAlias, isMap, isScalar as isYamlScalar, isSeq, parseAllDocuments, Scalar as YamlScalar, type Document, type Node as YamlNode } from "yaml";
import { formatYamlFloat } from "../go-float.js";
import { Comment, SopsTime, TreeMap, type Scalar, type TreeList, type TreeValue } from "../tree.js";
import { doubleQuoted, literalBlock, resolvePlain, singleQuoted, stringStyle } from "./yaml-scalars.js";

export class YamlFormatError extends Error {}

const STR_TAG = "tag:yaml.org,2002:str";

function commentLines(text: string | null | undefined): Comment[] {
  if (!text) return [];
  return text.split("\n").filter((l) => l !== "").map((l) => new Comment(l));
}

/** Parses every document of a YAML stream; each must be a mapping (or empty). */
export function parseYaml(text: string): TreeMap[] {
  const docs = parseAllDocuments(text, { schema: "failsafe", uniqueKeys: true, prettyErrors: false, strict: false });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream: parseAllDocuments returns an EmptyStream.
    return [];
  }
  const out: TreeMap[] = [];
  list.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) throw new YamlFormatError(`document ${i + 1}: ${err.message.split("\n")[0]}`);
    out.push(docToTree(doc, i));
  });
  return out;
}

function docToTree(doc: Document.Parsed, index: number): TreeMap {
  const map = new TreeMap();
  map.items.push(...commentLines(doc.commentBefore));
  const c = doc.contents;
  if (c === null || (isYamlScalar(c) && c.value === "" && c.type === "PLAIN")) {
    map.items.push(...commentLines(doc.comment));
    return map;
  }
  if (!isMap(c)) {
    throw new YamlFormatError(`document ${index + 1}: the top level must be a mapping (sequences and scalars are not supported)`);
  }
  map.items.push(...commentLines(c.commentBefore));
  appendMapItems(doc, c, map, [], new Set());
  map.items.push(...commentLines(c.comment), ...commentLines(doc.comment));
  return map;
}

type Path = string[];

function appendMapItems(doc: Document.Parsed, node: YamlNode, map: TreeMap, path: Path, seen: Set<YamlNode>): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const keyNode = pair.key as YamlNode | null;
    if (keyNode && isAlias(keyNode)) throw new YamlFormatError(`at ${pathText(path)}: alias map keys are not supported`);
    if (keyNode && isYamlScalar(keyNode)) map.items.push(...commentLines(keyNode.commentBefore), ...commentLines(keyNode.comment));
    const key = keyNode === null ? null : scalarValue(keyNode as YamlScalar);
    if (typeof key !== "string") {
      throw new YamlFormatError(`at ${pathText(path)}: map keys must be strings (found a ${describe(key)} key); quote it`);
    }
    if (key === "<<") throw new YamlFormatError(`at ${pathText(path)}: merge keys (<<) are not supported; write the keys out`);
    const valueNode = pair.value as YamlNode | null;
    // Comments written before or on the line of a scalar value come before the entry, as sops does.
    if (valueNode && (isYamlScalar(valueNode) || isAlias(valueNode))) {
      map.items.push(...commentLines(valueNode.commentBefore), ...commentLines(valueNode.comment));
    }
    const value = valueNode === null ? null : toValue(doc, valueNode, [...path, key], seen);
    map.items.push({ key, value });
    if (valueNode && !isYamlScalar(valueNode) && !isAlias(valueNode)) {
      // Trailing comments of a nested collection close it.
      const inner = value;
      const trailing = commentLines(valueNode.comment);
      if (inner instanceof TreeMap) inner.items.push(...trailing);
      else if (Array.isArray(inner)) inner.push(...trailing);
    }
  }
}

function toValue(doc: Document.Parsed, node: YamlNode, path: Path, seen: Set<YamlNode>): TreeValue {
  if (isAlias(node)) {
    const target = (node as Alias).resolve(doc) as YamlNode | undefined;
    if (!target) throw new YamlFormatError(`at ${pathText(path)}: unresolved alias`);
    if (seen.has(target)) throw new YamlFormatError(`at ${pathText(path)}: recursive alias`);
    // Aliases are expanded: the encrypted file holds copies, as with sops.
    return toValue(doc, target, path, new Set([...seen, target]));
  }
  if (isMap(node)) {
    const m = new TreeMap();
    m.items.push(...commentLines(node.commentBefore));
    appendMapItems(doc, node, m, path, seen);
    return m;
  }
  if (isSeq(node)) {
    const list: TreeList = [];
    for (const item of node.items as YamlNode[]) {
      if (item === null) {
        list.push(null);
        continue;
      }
      list.push(...commentLines(item.commentBefore));
      if (isYamlScalar(item)) list.push(...commentLines(item.comment));
      list.push(toValue(doc, item, path, seen));
      if (!isYamlScalar(item) && !isAlias(item)) {
        const trailing = commentLines(item.comment);
        const last = list[list.length - 1];
        if (last instanceof TreeMap) last.items.push(...trailing);
        else if (Array.isArray(last)) last.push(...trailing);
      }
    }
    return list;
  }
  return scalarValue(node as YamlScalar);
}

function scalarValue(node: YamlScalar): Scalar {
  const raw = String(node.value ?? "");
  if (node.type === "PLAIN" && (!node.tag || node.tag === "!")) return node.tag === "!" ? raw : resolvePlain(raw);
  if (node.tag === STR_TAG || !node.tag) return raw;
  // Explicit core tags on a scalar: resolve the text, then check it matches.
  const v = resolvePlain(raw);
  switch (node.tag) {
    case "tag:yaml.org,2002:int":
      if (typeof v === "bigint") return v;
      break;
    case "tag:yaml.org,2002:float":
      if (typeof v === "number") return v;
      if (typeof v === "bigint") return Number(v);
      break;
    case "tag:yaml.org,2002:bool":
      if (typeof v === "boolean") return v;
      break;
    case "tag:yaml.org,2002:null":
      if (v === null) return null;
      break;
    case "tag:yaml.org,2002:timestamp":
      if (v instanceof SopsTime) return v;
      break;
    case "tag:yaml.org,2002:binary":
      return new Uint8Array(Buffer.from(raw.replace(/\s+/g, ""), "base64"));
    default:
      // Application tags are not kept by sops either; the value stays as written.
      return node.type === "PLAIN" ? v : raw;
  }
  throw new YamlFormatError(`a value tagged ${node.tag.replace("tag:yaml.org,2002:", "!!")} does not match its tag`);
}

function describe(v: Scalar): string {
  if (v === null) return "null";
  if (typeof v === "bigint") return "integer";
  if (typeof v === "number") return "float";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof SopsTime) return "timestamp";
  return "binary";
}

function pathText(path: Path): string {
  return path.length === 0 ? "the top level" : `key ${path.join(".")}`;
}

// ---------------------------------------------------------------------------------------------
// Emitter: go-yaml v3 block style with sops' indent of 4.

const BEST_INDENT = 4;

/** go-yaml v3's indent step: inside a sequence item skip "- ", otherwise round up to the next multiple. */
function nextIndent(indent: number, inSeqItem: boolean): number {
  if (indent < 0) return 0;
  if (inSeqItem) return indent + 2;
  return BEST_INDENT * Math.floor((indent + BEST_INDENT) / BEST_INDENT);
}

/** `blockIndent` is where a literal block's lines go (only used for multi-line strings). */
export function emitScalar(v: Scalar, blockIndent: number, key = false): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return formatYamlFloat(v);
  if (v instanceof SopsTime) return v.text;
  if (v instanceof Uint8Array) {
    const text = new TextDecoder("utf-8", { fatal: false }).decode(v);
    return emitString(text, blockIndent, key);
  }
  return emitString(v, blockIndent, key);
}

function emitString(s: string, blockIndent: number, key: boolean): string {
  switch (stringStyle(s, key)) {
    case "plain":
      return s;
    case "single":
      return singleQuoted(s);
    case "double":
      return doubleQuoted(s);
    case "literal":
      return literalBlock(s, blockIndent, BEST_INDENT);
  }
}

function isEmptyCollection(v: TreeValue): boolean {
  if (v instanceof TreeMap) return v.items.length === 0;
  return Array.isArray(v) && v.length === 0;
}

function emitComment(c: Comment, indent: number): string {
  return `${" ".repeat(indent)}#${c.text}\n`;
}

/**
 * Writes a map whose first line continues the current line (after "- ") when `inline` is set.
 * `indent` is the column of its keys.
 */
function emitMap(m: TreeMap, indent: number, inline: boolean): string {
  let out = "";
  let first = true;
  const pad = (s: string) => {
    const p = first && inline ? s : " ".repeat(indent) + s;
    first = false;
    return p;
  };
  for (const it of m.items) {
    if (it instanceof Comment) {
      if (first && inline) {
        // A comment cannot follow "- " on the same line; go-yaml puts it above, at the map's indent.
        out += `#${it.text}\n`;
        first = false;
        continue;
      }
      out += emitComment(it, indent);
      first = false;
      continue;
    }
    if (isSimpleKey(it.key)) {
      out += pad(`${emitScalar(it.key, 0, true)}:${emitValueAfterKey(it.value, indent)}`);
    } else {
      // go-yaml writes long (>128 bytes) or multi-line keys as complex keys: "? key" then ": value".
      out += pad(`? ${emitScalar(it.key, nextIndent(indent, false))}\n`);
      out += `${" ".repeat(indent)}:${emitValueAfterComplexKey(it.value, indent)}`;
    }
  }
  return out;
}

const lineBreak = /[\n\r\u0085\u2028\u2029]/;

function isSimpleKey(k: string): boolean {
  return Buffer.byteLength(k, "utf8") <= 128 && !lineBreak.test(k);
}

/** After a complex key's ":", a block collection starts on the same line, padded to its indent. */
function emitValueAfterComplexKey(v: TreeValue, indent: number): string {
  const inner = nextIndent(indent, false);
  const pad = " ".repeat(Math.max(1, inner - indent - 1));
  if (v instanceof TreeMap && !isEmptyCollection(v)) return pad + emitMap(v, inner, true);
  if (Array.isArray(v) && !isEmptyCollection(v)) return pad + emitSeq(v, inner, true);
  return emitValueAfterKey(v, indent);
}

function emitValueAfterKey(v: TreeValue, indent: number): string {
  if (v instanceof TreeMap) {
    if (isEmptyCollection(v)) return " {}\n";
    return `\n${emitMap(v, nextIndent(indent, false), false)}`;
  }
  if (Array.isArray(v)) {
    if (isEmptyCollection(v)) return " []\n";
    return `\n${emitSeq(v, nextIndent(indent, false), false)}`;
  }
  return ` ${emitScalar(v, nextIndent(indent, false))}\n`;
}

function emitSeq(list: TreeList, indent: number, inline: boolean): string {
  let out = "";
  let first = true;
  for (const it of list) {
    if (it instanceof Comment) {
      out += first && inline ? `#${it.text}\n` : emitComment(it, indent);
      first = false;
      continue;
    }
    const prefix = first && inline ? "- " : `${" ".repeat(indent)}- `;
    first = false;
    const inner = nextIndent(indent, true);
    if (it instanceof TreeMap && !isEmptyCollection(it)) out += prefix + emitMap(it, inner, true);
    else if (Array.isArray(it) && !isEmptyCollection(it)) out += prefix + emitSeq(it, inner, true);
    else if (it instanceof TreeMap) out += `${prefix}{}\n`;
    else if (Array.isArray(it)) out += `${prefix}[]\n`;
    else out += `${prefix}${emitScalar(it, inner)}\n`;
  }
  return out;
}

/** Emits documents separated by `---`, as go-yaml's Encoder does. */
export function emitYaml(docs: TreeMap[]): string {
  return docs.map((d) => (d.items.length === 0 ? "{}\n" : emitMap(d, 0, false))).join("---\n");
}
