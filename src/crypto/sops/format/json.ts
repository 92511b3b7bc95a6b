/**
 * The JSON store: objects with key order, int64 vs float kept apart (as sops ≥ 3.13.2 reads them), and
 * output as sops writes it (Go json.Marshal escaping, json.Indent with a tab, trailing newline).
 */
import { Comment, SopsTime, TreeMap, type Scalar, type TreeList, type TreeValue } from "../tree.js";
import { formatGoFloat } from "../go-float.js";

export class JsonFormatError extends Error {
  override name = "JsonFormatError";
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Parses a JSON document whose top level is an object. */
export function parseJson(text: string): TreeMap {
  const p = new Parser(text);
  p.ws();
  if (p.peek() !== "{") {
    throw new JsonFormatError("the top level must be an object ({…}); to encrypt an array, wrap it: {\"data\": [...]}");
  }
  const v = p.value();
  p.ws();
  if (!p.done()) throw p.error("unexpected text after the top-level object");
  return v as TreeMap;
}

class Parser {
  pos = 0;
  constructor(readonly s: string) {}
  done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s.charAt(this.pos);
  }
  ws(): void {
    while (/[ \t\r\n]/.test(this.peek()) && !this.done()) this.pos++;
  }
  error(msg: string): JsonFormatError {
    const before = this.s.slice(0, this.pos);
    const line = before.split("\n").length;
    const col = this.pos - before.lastIndexOf("\n");
    return new JsonFormatError(`line ${line} column ${col}: ${msg}`);
  }
  expect(ch: string): void {
    if (this.peek() !== ch) throw this.error(`expected '${ch}'`);
    this.pos++;
  }
  value(): TreeValue {
    this.ws();
    const c = this.peek();
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "t" && this.s.startsWith("true", this.pos)) return this.lit(4, true);
    if (c === "f" && this.s.startsWith("false", this.pos)) return this.lit(5, false);
    if (c === "n" && this.s.startsWith("null", this.pos)) return this.lit(4, null);
    return this.number();
  }
  lit(n: number, v: Scalar): Scalar {
    this.pos += n;
    return v;
  }
  object(): TreeMap {
    this.expect("{");
    const m = new TreeMap();
    this.ws();
    if (this.peek() === "}") {
      this.pos++;
      return m;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== '"') throw this.error("expected a string key");
      const key = this.string();
      this.ws();
      this.expect(":");
      m.items.push({ key, value: this.value() });
      this.ws();
      if (this.peek() === ",") {
        this.pos++;
        continue;
      }
      this.expect("}");
      return m;
    }
  }
  array(): TreeList {
    this.expect("[");
    const out: TreeList = [];
    this.ws();
    if (this.peek() === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      if (this.peek() === ",") {
        this.pos++;
        continue;
      }
      this.expect("]");
      return out;
    }
  }
  string(): string {
    const token = this.s.slice(this.pos, this.pos + this.stringEnd() + 1);
    let v: unknown;
    try {
      // JSON.parse enforces the escapes and rejects raw control characters.
      v = JSON.parse(token);
    } catch {
      throw this.error("invalid string");
    }
    if (typeof v !== "string") throw this.error("invalid string");
    this.pos += token.length;
    return v;
  }
  stringEnd(): number {
    // Length up to and including the closing quote, skipping escapes; bounds the regex above.
    let i = this.pos + 1;
    while (i < this.s.length) {
      const ch = this.s[i];
      if (ch === "\\") i += 2;
      else if (ch === '"') return i - this.pos;
      else i++;
    }
    return this.s.length - this.pos;
  }
  number(): Scalar {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.pos));
    if (!m || m[0] === "-") throw this.error("invalid value");
    this.pos += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = BigInt(m[0]);
      if (n >= INT64_MIN && n <= INT64_MAX) return n;
    }
    const f = Number(m[0]);
    if (!Number.isFinite(f)) throw this.error("number out of range");
    return f;
  }
}

/** Go json.Marshal string escaping (HTML-safe, U+2028/2029 escaped). */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (cp < 0x20 || ch === "<" || ch === ">" || ch === "&" || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${cp.toString(16).padStart(4, "0")}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd"; // lone surrogate: Go writes U+FFFD
    else out += ch;
  }
  return `${out}"`;
}

function goJsonFloat(n: number): string {
  if (!Number.isFinite(n)) throw new JsonFormatError("JSON cannot hold NaN or infinite floats");
  if (Object.is(n, -0)) return "-0";
  const abs = Math.abs(n);
  // Go switches to exponent form below 1e-6 and from 1e21, like JS; JS spells the exponent the same.
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return String(n);
  return formatGoFloat(n);
}

function scalarJson(v: Scalar): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return goJsonFloat(v);
  if (v instanceof SopsTime) return goJsonString(v.text);
  if (v instanceof Uint8Array) return goJsonString(new TextDecoder().decode(v));
  return goJsonString(v);
}

function emitValue(v: TreeValue, depth: number, indent: string): string {
  const pad = indent.repeat(depth + 1);
  const close = indent.repeat(depth);
  if (v instanceof TreeMap) {
    const entries = v.items.filter((it): it is { key: string; value: TreeValue } => !(it instanceof Comment));
    if (entries.length === 0) return "{}";
    return `{\n${entries.map((e) => `${pad}${goJsonString(e.key)}: ${emitValue(e.value, depth + 1, indent)}`).join(",\n")}\n${close}}`;
  }
  if (Array.isArray(v)) {
    const items = v.filter((x): x is TreeValue => !(x instanceof Comment));
    if (items.length === 0) return "[]";
    return `[\n${items.map((x) => `${pad}${emitValue(x, depth + 1, indent)}`).join(",\n")}\n${close}]`;
  }
  return scalarJson(v);
}

/** `indent` -1 = tab (sops' default), otherwise that many spaces. */
export function emitJson(doc: TreeMap, indent = -1): string {
  return `${emitValue(doc, 0, indent < 0 ? "\t" : " ".repeat(indent))}\n`;
}
