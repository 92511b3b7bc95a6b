/**
 * The YAML store: multi-document YAML to SOPS trees and back, byte-compatible with what sops (go-yaml
 * v3, indent 4) writes for block-style documents. Comments become comment nodes in document order.
 */
import { Alias, isAlias, isMap, isScalar as isYamlScalar, isSeq, parseAllDocuments, Scalar as YamlScalar, type Document, type Node as YamlNode } from "yaml";
import { formatYamlFloat } from "../go-float.js";
import { Comment, SopsTime, TreeMap, type Scalar, type TreeList, type TreeValue } from "../tree.js";
import { doubleQuoted, literalBlock, resolvePlain, singleQuoted, stringStyle } from "./yaml-scalars.js";

export class YamlFormatError extends Error {
  override name = "YamlFormatError";
}

const STR_TAG = "tag:yaml.org,2002:str";

function commentLines(text: string | null | undefined, inline = false): Comment[] {
  if (!text) return [];
  return text.split("\n").filter((l) => l !== "").map((l) => new Comment(l, inline));
}

/** Parses every document of a YAML stream; each must be a mapping (or empty). */
export function parseYaml(text: string): TreeMap[] {
  const docs = parseAllDocuments(text, { schema: "failsafe", uniqueKeys: true, prettyErrors: false, strict: false });
  if (!Array.isArray(docs)) {
    // An empty stream: parseAllDocuments returns an EmptyStream.
    return [];
  }
  const out: TreeMap[] = [];
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) throw new YamlFormatError(`document ${i + 1}: ${err.message.split("\n")[0]}`);
    out.push(docToTree({ doc, text, chain: [], placed: new Set() }, i));
  });
  return out;
}

/** A collection being built, with the column its keys (or `-`) start at. */
interface Level {
  value: TreeMap | TreeList;
  col: number;
  /** Comments for this level that must wait until its current entry has been added. */
  deferred: Comment[];
}

interface Ctx {
  doc: Document.Parsed;
  text: string;
  /** The open collections, root first. */
  chain: Level[];
  /** Source offsets of comment lines already placed (the yaml package may report one on several nodes). */
  placed: Set<number>;
}

/** A comment line after a nested block, with its column and position in the source. */
interface LooseComment {
  text: string;
  col: number;
  offset: number;
  end: number;
}

const columns = new WeakMap<TreeMap | TreeList, number>();

function docToTree(ctx: Ctx, index: number): TreeMap {
  const { doc } = ctx;
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
  appendMapItems(ctx, c, map, [], new Set());
  map.items.push(...commentLines(c.comment), ...commentLines(doc.comment));
  return map;
}

type Path = string[];

function columnOf(text: string, offset: number): number {
  return offset - text.lastIndexOf("\n", offset - 1) - 1;
}

/** Comment lines in the source after a nested block (the yaml package files them under the block). */
function trailingComments(ctx: Ctx, node: YamlNode): LooseComment[] {
  const range = node.range;
  if (!range || !node.comment) return [];
  const out: LooseComment[] = [];
  let offset = range[1];
  for (const raw of ctx.text.slice(range[1], range[2]).split("\n")) {
    const line = raw.replace(/\r$/, "");
    const col = line.search(/\S/);
    const at = offset + col;
    if (col >= 0 && line[col] === "#" && !ctx.placed.has(at)) {
      ctx.placed.add(at);
      out.push({ text: line.slice(col + 1), col: columnOf(ctx.text, at), offset: at, end: offset + raw.length });
    }
    offset += raw.length + 1;
  }
  return out;
}

/** Column of the next line after `from` that is neither blank nor a comment; undefined at the end. */
function nextContentColumn(text: string, from: number): number | undefined {
  let pos = text.indexOf("\n", from);
  while (pos >= 0 && pos < text.length) {
    const nl = text.indexOf("\n", pos + 1);
    const line = text.slice(pos + 1, nl < 0 ? text.length : nl).replace(/\r$/, "");
    const col = line.search(/\S/);
    if (col >= 0 && line[col] !== "#") return line.startsWith("---") || line.startsWith("...") ? undefined : col;
    if (nl < 0) return undefined;
    pos = nl;
  }
  return undefined;
}

function lastChild(v: TreeMap | TreeList): TreeMap | TreeList | undefined {
  const items: unknown[] = v instanceof TreeMap ? v.items : v;
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it instanceof Comment) continue;
    const child = v instanceof TreeMap ? (it as { value: TreeValue }).value : (it as TreeValue);
    if ((child instanceof TreeMap && child.items.length > 0) || (Array.isArray(child) && child.length > 0)) return child;
    return undefined;
  }
  return undefined;
}

/**
 * Files the comments that follow a nested block where go-yaml (and so sops) puts them, judged by their
 * column: a group followed by an entry at its column is that entry's head comment; otherwise it is a
 * foot comment — the first one closes the block of the last key at its column, later ones that key's
 * map; at the root column it closes the document.
 */
function placeTrailing(ctx: Ctx, lines: LooseComment[], block: TreeMap | TreeList): void {
  if (lines.length === 0) return;
  // The levels that are open at this point: the current chain plus the block's chain of last children.
  const levels = [...ctx.chain];
  for (let v: TreeMap | TreeList | undefined = block; v; v = lastChild(v)) {
    const col = columns.get(v);
    if (col !== undefined && !levels.some((l) => l.value === v)) levels.push({ value: v, col, deferred: [] });
  }
  const current = ctx.chain[ctx.chain.length - 1];
  const push = (level: Level, c: Comment) => {
    // Ancestors are still adding their current entry: wait until it is in, so the order stays right.
    if (ctx.chain.includes(level) && level !== current) level.deferred.push(c);
    else if (level.value instanceof TreeMap) level.value.items.push(c);
    else level.value.push(c);
  };
  const groups: LooseComment[][] = [];
  for (const l of lines) {
    const g = groups[groups.length - 1];
    if (g && g[0]!.col === l.col) g.push(l);
    else groups.push([l]);
  }
  let firstFoot = true;
  for (const g of groups) {
    const col = g[0]!.col;
    const comments = g.map((l) => new Comment(l.text));
    const exact = [...levels].reverse().find((l) => l.col === col);
    const next = nextContentColumn(ctx.text, g[g.length - 1]!.end);
    let target: Level;
    if (exact && next === col && ctx.chain.includes(exact)) target = exact;
    else if (exact && exact === levels[0]) target = exact;
    else if (exact && firstFoot) {
      const w = lastChild(exact.value);
      target = w ? (levels.find((l) => l.value === w) ?? { value: w, col: columns.get(w) ?? col, deferred: [] }) : exact;
    } else if (exact) target = exact;
    else target = [...levels].reverse().find((l) => l.col <= col) ?? levels[0]!;
    if (!(exact && next === col)) firstFoot = false;
    for (const c of comments) push(target, c);
  }
}

function flushDeferred(level: Level): void {
  if (level.deferred.length === 0) return;
  if (level.value instanceof TreeMap) level.value.items.push(...level.deferred);
  else level.value.push(...level.deferred);
  level.deferred = [];
}

function appendMapItems(ctx: Ctx, node: YamlNode, map: TreeMap, path: Path, seen: Set<YamlNode>): void {
  if (!isMap(node)) return;
  const level: Level = { value: map, col: node.range ? columnOf(ctx.text, node.range[0]) : 0, deferred: [] };
  columns.set(map, level.col);
  ctx.chain.push(level);
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
      map.items.push(...commentLines(valueNode.commentBefore), ...commentLines(valueNode.comment, true));
    }
    const value = valueNode === null ? null : toValue(ctx, valueNode, [...path, key], seen);
    map.items.push({ key, value });
    flushDeferred(level);
    if (valueNode && (value instanceof TreeMap || Array.isArray(value)) && !isAlias(valueNode)) placeTrailing(ctx, trailingComments(ctx, valueNode), value);
  }
  ctx.chain.pop();
  flushDeferred(level);
}

function toValue(ctx: Ctx, node: YamlNode, path: Path, seen: Set<YamlNode>): TreeValue {
  if (isAlias(node)) {
    const target = (node as Alias).resolve(ctx.doc) as YamlNode | undefined;
    if (!target) throw new YamlFormatError(`at ${pathText(path)}: unresolved alias`);
    if (seen.has(target)) throw new YamlFormatError(`at ${pathText(path)}: recursive alias`);
    // Aliases are expanded (the encrypted file holds copies, as with sops); their comments stay behind.
    const sub: Ctx = { ...ctx, chain: [], placed: new Set(ctx.placed) };
    return toValue(sub, target, path, new Set([...seen, target]));
  }
  if (isMap(node)) {
    const m = new TreeMap();
    m.items.push(...commentLines(node.commentBefore));
    appendMapItems(ctx, node, m, path, seen);
    return m;
  }
  if (isSeq(node)) {
    const list: TreeList = [];
    const level: Level = { value: list, col: node.range ? columnOf(ctx.text, node.range[0]) : 0, deferred: [] };
    columns.set(list, level.col);
    ctx.chain.push(level);
    for (const item of node.items as Array<YamlNode | null>) {
      if (item === null) {
        list.push(null);
        continue;
      }
      list.push(...commentLines(item.commentBefore));
      if (isYamlScalar(item)) list.push(...commentLines(item.comment, true));
      const value = toValue(ctx, item, path, seen);
      list.push(value);
      flushDeferred(level);
      if ((value instanceof TreeMap || Array.isArray(value)) && !isAlias(item)) placeTrailing(ctx, trailingComments(ctx, item), value);
    }
    ctx.chain.pop();
    flushDeferred(level);
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
  let trailing = "";
  m.items.forEach((it, i) => {
    if (it instanceof Comment && it.inline && inlineTarget(m.items[i + 1])) {
      // sops ≥ 3.13 keeps a line comment on the line of the value it followed.
      trailing = ` #${it.text}`;
      return;
    }
    if (it instanceof Comment) {
      if (first && inline) {
        // A comment cannot follow "- " on the same line; go-yaml puts it above, at the map's indent.
        out += `#${it.text}\n`;
        first = false;
        return;
      }
      out += emitComment(it, indent);
      first = false;
      return;
    }
    if (isSimpleKey(it.key)) {
      const line = `${emitScalar(it.key, 0, true)}:${emitValueAfterKey(it.value, indent)}`;
      out += pad(trailing ? `${line.slice(0, -1)}${trailing}\n` : line);
      trailing = "";
    } else {
      // go-yaml writes long (>128 bytes) or multi-line keys as complex keys: "? key" then ": value".
      out += pad(`? ${emitScalar(it.key, nextIndent(indent, false))}\n`);
      out += `${" ".repeat(indent)}:${emitValueAfterComplexKey(it.value, indent)}`;
    }
  });
  return out;
}

/** A line comment can stay inline only before a simple key with a one-line scalar value. */
function inlineTarget(next: TreeMap["items"][number] | undefined): boolean {
  if (next === undefined || next instanceof Comment || !isSimpleKey(next.key)) return false;
  const v = next.value;
  if (v instanceof TreeMap || Array.isArray(v)) return false;
  return !emitScalar(v, 0).includes("\n");
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
