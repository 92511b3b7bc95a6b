/**
 * One YAML document read exactly as kubectl reads it: go-yaml v2 (YAML 1.1) decoding into
 * interface{}, then sigs.k8s.io/yaml's conversion to JSON. The yaml package only parses (failsafe
 * schema: every scalar stays text, with its style and tag); typing the scalars, merge keys, aliases
 * and turning keys into strings follow go-yaml v2's resolve.go/decode.go and sigs.k8s.io/yaml's
 * yaml.go, checked against the real kubectl by test/manifests/kubectl-yaml.test.ts.
 * Errors name a position, never a value (the document may be a plaintext Secret).
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, Parser, type Document, type Node, type Scalar, type YAMLMap } from "yaml";
import { MAX_NESTING_DEPTH, unsafeIntegerReason } from "./limits.js";

/** A document kubectl would refuse (or sealsync refuses on purpose); offset is into the YAML text. */
export class YamlReadError extends Error {
  constructor(readonly offset: number | undefined, message: string, readonly syntaxCode?: string) {
    super(message);
    this.name = "YamlReadError";
  }

  /** The message with the 1-based line it happened on. */
  at(line: number): string {
    return this.syntaxCode ? `invalid YAML at line ${line} (${this.syntaxCode})` : `line ${line}: ${this.message}`;
  }
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const T = "tag:yaml.org,2002:";
const STR = `${T}str`, BOOL = `${T}bool`, INT = `${T}int`, FLOAT = `${T}float`, NULL = `${T}null`;
const TIMESTAMP = `${T}timestamp`, BINARY = `${T}binary`, MERGE = `${T}merge`;
const RESOLVABLE = new Set(["", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP]);

/** A decoded scalar with go-yaml v2's Go type: int covers int/int64/uint64 (uint only above int64). */
type GoScalar =
  | { kind: "null" }
  | { kind: "bool"; value: boolean }
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number; integerText?: string }
  | { kind: "str"; value: string };

const str = (value: string): GoScalar => ({ kind: "str", value });

/** resolve.go's table of exact spellings (YAML 1.1 booleans, nulls, infinities). */
const SPELLED = new Map<string, GoScalar>();
for (const [v, words] of [
  [true, "y Y yes Yes YES true True TRUE on On ON"],
  [false, "n N no No NO false False FALSE off Off OFF"],
] as const) for (const w of words.split(" ")) SPELLED.set(w, { kind: "bool", value: v });
for (const w of ["", "~", "null", "Null", "NULL"]) SPELLED.set(w, { kind: "null" });
for (const w of [".nan", ".NaN", ".NAN"]) SPELLED.set(w, { kind: "float", value: NaN });
for (const w of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]) SPELLED.set(w, { kind: "float", value: Infinity });
for (const w of ["-.inf", "-.Inf", "-.INF"]) SPELLED.set(w, { kind: "float", value: -Infinity });

/** resolve.go's hint by first character: S sign, D digit, M spelled word, . float. */
function hint(s: string): string | undefined {
  if (s === "") return "N";
  const c = s[0] as string;
  if (c === "+" || c === "-") return "S";
  if (c >= "0" && c <= "9") return "D";
  if ("yYnNtTfFoO~".includes(c)) return "M";
  if (c === ".") return ".";
  return undefined;
}

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64), falling back to ParseUint(s, 0, 64) as resolve.go does. */
function goParseInt(s: string): bigint | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]+)|([0-9]+))$/.exec(s);
  if (!m) return undefined;
  const [, sign, hex, oct, bin, oct0, dec] = m;
  if (dec !== undefined && dec.length > 1 && dec.startsWith("0")) return undefined; // "08": not octal, not decimal
  const magnitude = BigInt(hex !== undefined ? `0x${hex}` : oct !== undefined ? `0o${oct}` : bin !== undefined ? `0b${bin}`
    : oct0 !== undefined ? `0o${oct0}` : (dec as string));
  if (sign === "-") return magnitude <= INT64_MAX + 1n ? -magnitude : undefined;
  if (magnitude <= INT64_MAX) return magnitude;
  // ParseUint takes no sign.
  return sign === "" && magnitude <= UINT64_MAX ? magnitude : undefined;
}

/** Go's rule for underscores in a number: only between digits (strconv's underscoreOK). */
function underscoresOk(s: string): boolean {
  return !/(^[+-]?_|_$|_[^0-9]|[^0-9]_)/.test(s);
}

/** Go's strconv.ParseFloat(s, 64) for decimal text; undefined on a syntax or range error. */
function goParseFloat(s: string): number | undefined {
  if (s.includes("_") && !underscoresOk(s)) return undefined;
  const plain = s.replace(/_/g, "");
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(plain)) return undefined;
  const f = Number(plain);
  return Number.isFinite(f) ? f : undefined;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** resolve.go's parseTimestamp: the four time.Parse layouts it tries. */
function isGoTimestamp(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:([Tt])|( ))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.exec(s);
  if (!m) return false;
  const [, y, mo, d, t, space, h, mi, se, zone] = m;
  if ((t && !zone) || (space && zone)) return false;
  const month = Number(mo);
  if (month < 1 || month > 12 || Number(d) < 1 || Number(d) > daysIn(Number(y), month)) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)) return false;
  if (zone && zone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return false;
  return true;
}

/** resolve.go's resolve(): the Go type of a scalar's text, given its tag ("" when plain and untagged). */
function resolve(tag: string, s: string, offset: number | undefined): GoScalar {
  if (!RESOLVABLE.has(tag)) return str(s);
  let rtag = STR;
  let out: GoScalar = str(s);
  const h = hint(s);
  if (h !== undefined && tag !== STR) {
    const spelled = SPELLED.get(s);
    if (spelled) {
      out = spelled;
      rtag = spelled.kind === "bool" ? BOOL : spelled.kind === "null" ? NULL : FLOAT;
    } else if (h === ".") {
      const f = goParseFloat(s);
      if (f !== undefined) [rtag, out] = [FLOAT, { kind: "float", value: f }];
    } else if (h === "D" || h === "S") {
      const plain = s.replace(/_/g, "");
      const i = goParseInt(plain);
      const f = i === undefined && YAML_STYLE_FLOAT.test(plain) ? goParseFloat(plain) : undefined;
      if ((tag === "" || tag === TIMESTAMP) && isGoTimestamp(s)) rtag = TIMESTAMP; // kept as written (decode.go)
      else if (i !== undefined) [rtag, out] = [INT, { kind: "int", value: i }];
      // Digits beyond uint64 become a float in go-yaml v2: an integer as written, rounded.
      else if (f !== undefined) [rtag, out] = [FLOAT, { kind: "float", value: f, ...(/^[-+]?[0-9]+$/.test(plain) ? { integerText: plain } : {}) }];
    }
  }
  if (tag === "" || tag === rtag || tag === STR) return out;
  if (tag === FLOAT && out.kind === "int") return { kind: "float", value: Number(out.value) };
  throw new YamlReadError(offset, `a value tagged !!${tag.slice(T.length)} is not a valid ${tag.slice(T.length)}`);
}

/** Go's base64.StdEncoding.DecodeString, which skips \r and \n; the bytes then pass through json.Marshal. */
function decodeBinary(s: string, offset: number | undefined): string {
  const b64 = s.replace(/[\r\n]/g, "");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
    throw new YamlReadError(offset, "a !!binary value is not valid base64");
  }
  return new TextDecoder().decode(Buffer.from(b64, "base64"));
}

/** strconv.FormatFloat(f, 'g', -1, 32): sigs.k8s.io/yaml's spelling of a float map key. */
function formatFloat32Key(f: number): string {
  const f32 = Math.fround(f);
  if (Number.isNaN(f32)) return ".nan";
  if (f32 === Infinity) return ".inf";
  if (f32 === -Infinity) return "-.inf";
  if (f32 === 0) return Object.is(f32, -0) ? "-0" : "0";
  let digits = "";
  let exp = 0;
  for (let p = 1; p <= 9; p++) {
    const [mantissa, e] = Math.abs(f32).toExponential(p - 1).split("e") as [string, string];
    if (Math.fround(Number(`${mantissa}e${e}`)) === Math.abs(f32)) {
      digits = mantissa.replace(".", "").replace(/0+$/, "") || "0";
      exp = Number(e);
      break;
    }
  }
  const sign = f32 < 0 ? "-" : "";
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${whole}${frac ? `.${frac}` : ""}`;
}

function alwaysData(o: Record<string, JsonValue>, key: string, value: JsonValue): void {
  // defineProperty: a key named __proto__ must stay data, not change the prototype.
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** go-yaml v2's alias-expansion budget (decode.go allowedAliasRatio): refuses "billion laughs". */
function allowedAliasRatio(decodeCount: number): number {
  const low = 400_000, high = 4_000_000;
  if (decodeCount <= low) return 0.99;
  if (decodeCount >= high) return 0.10;
  return 0.99 - 0.89 * ((decodeCount - low) / (high - low));
}

type MapEntry = { key: GoScalar; value: JsonValue };

class Decoder {
  private decodeCount = 0;
  private aliasCount = 0;
  private aliasDepth = 0;
  private readonly expanding = new Set<Node>();

  constructor(private readonly doc: Document.Parsed) {}

  /** One node to its JSON value (decode.go unmarshal into interface{}, then yaml.go's conversion). */
  value(node: Node | null, depth: number): JsonValue {
    this.count(node, depth);
    if (node === null) return null;
    if (isAlias(node)) return this.viaAlias(node, (target) => this.value(target, depth + 1));
    if (isMap(node)) {
      const entries = new Map<string, MapEntry>();
      this.fill(node, entries, depth);
      return this.toObject(entries, node.range?.[0]);
    }
    if (isSeq(node)) return node.items.map((item) => this.value(item as Node | null, depth + 1));
    if (isScalar(node)) return this.scalarJson(node);
    throw new YamlReadError(undefined, "unsupported YAML node");
  }

  private count(node: Node | null, depth: number): void {
    this.decodeCount++;
    if (this.aliasDepth > 0) this.aliasCount++;
    if (this.aliasCount > 100 && this.decodeCount > 1000 && this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)) {
      throw new YamlReadError(node?.range?.[0], "the document contains excessive aliasing (go-yaml refuses it too)");
    }
    if (depth > MAX_NESTING_DEPTH) {
      throw new YamlReadError(node?.range?.[0], `the document nests deeper than ${MAX_NESTING_DEPTH} levels`);
    }
  }

  private viaAlias<R>(alias: Node, use: (target: Node) => R): R {
    if (!isAlias(alias)) throw new YamlReadError(undefined, "not an alias");
    const target = alias.resolve(this.doc);
    if (!target) throw new YamlReadError(alias.range?.[0], `unknown anchor referenced by an alias`);
    if (this.expanding.has(alias)) throw new YamlReadError(alias.range?.[0], "an anchor's value contains an alias to itself");
    this.expanding.add(alias);
    this.aliasDepth++;
    try {
      return use(target as Node);
    } finally {
      this.aliasDepth--;
      this.expanding.delete(alias);
    }
  }

  /** decode.go scalar() into interface{}: plain and tagged scalars are resolved, others are strings. */
  private scalar(node: Scalar): GoScalar {
    const text = String(node.value);
    const tag = node.tag ?? "";
    const at = node.range?.[0];
    if (tag === "" && node.type !== "PLAIN") return str(text);
    if (tag === BINARY) return str(decodeBinary(text, at));
    const out = resolve(tag, text, at);
    return out;
  }

  private scalarJson(node: Scalar): JsonValue {
    const v = this.scalar(node);
    const at = node.range?.[0];
    switch (v.kind) {
      case "null": return null;
      case "bool": case "str": return v.value;
      case "int": {
        const reason = unsafeIntegerReason(v.value);
        if (reason) throw new YamlReadError(at, reason);
        return Number(v.value);
      }
      case "float":
        if (v.integerText !== undefined) {
          const reason = unsafeIntegerReason(BigInt(v.integerText));
          if (reason) throw new YamlReadError(at, `${reason} (kubectl would round it to a float)`);
        }
        if (!Number.isFinite(v.value)) {
          throw new YamlReadError(at, "a value is .inf or .nan, which JSON cannot carry (kubectl refuses it too); quote it if it is a string");
        }
        return v.value;
    }
  }

  private isMergeKey(key: unknown): boolean {
    return isScalar(key) && key.value === "<<" && ((key.type === "PLAIN" && !key.tag) || key.tag === MERGE);
  }

  /** decode.go mapping(): entries in order, later ones (and merges) overwrite earlier ones. */
  private fill(node: YAMLMap, entries: Map<string, MapEntry>, depth: number): void {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (this.isMergeKey(keyNode)) {
        this.merge(pair.value as Node | null, entries, depth);
        continue;
      }
      const key = this.key(keyNode, depth + 1);
      const value = this.value(pair.value as Node | null, depth + 1);
      const id = keyIdentity(key);
      const had = entries.get(id);
      entries.set(id, { key: had?.key ?? key, value });
    }
  }

  /** decode.go merge(): a map, an alias of one, or a sequence of them applied last to first. */
  private merge(node: Node | null, entries: Map<string, MapEntry>, depth: number): void {
    const wantMap = () => new YamlReadError(node?.range?.[0], "a merge key (<<) needs a map or a sequence of maps as its value");
    const mergeOne = (n: Node | null) => {
      this.count(n, depth + 1);
      if (n !== null && isAlias(n)) {
        this.viaAlias(n, (target) => {
          if (!isMap(target)) throw wantMap();
          this.count(target, depth + 1);
          this.fill(target, entries, depth + 1);
        });
      } else if (n !== null && isMap(n)) {
        this.fill(n, entries, depth + 1);
      } else {
        throw wantMap();
      }
    };
    if (node !== null && isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const item = node.items[i] as Node | null;
        if (item === null || !(isAlias(item) || isMap(item))) throw wantMap();
        mergeOne(item);
      }
    } else {
      mergeOne(node);
    }
  }

  private key(node: Node | null, depth: number): GoScalar {
    this.count(node, depth);
    if (node === null) return { kind: "null" };
    if (isAlias(node)) return this.viaAlias(node, (target) => this.key(target, depth + 1));
    if (isScalar(node)) return this.scalar(node);
    throw new YamlReadError(node.range?.[0], "a map key is itself a map or a list (go-yaml refuses it too)");
  }

  /** yaml.go convertToJSONableObject: keys become strings; two keys with one spelling are refused. */
  private toObject(entries: Map<string, MapEntry>, at: number | undefined): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    const seen = new Set<string>();
    for (const { key, value } of entries.values()) {
      const name = keyString(key, at);
      if (seen.has(name)) {
        // kubectl keeps one of them at random (Go map order); neither is a safe choice.
        throw new YamlReadError(at, `two keys of one map both become "${name}" in JSON (e.g. on and true, or 1 and "1"); ` +
          "kubectl would keep either one at random: keep one of them");
      }
      seen.add(name);
      alwaysData(out, name, value);
    }
    return out;
  }
}

/** Go map key identity for interface{} keys: dynamic type plus value. */
function keyIdentity(k: GoScalar): string {
  switch (k.kind) {
    case "null": return "n";
    case "bool": return `b:${k.value}`;
    case "int": return `i:${k.value}`;
    case "float": return Number.isNaN(k.value) ? `f:NaN:${Math.random()}` : `f:${k.value === 0 ? 0 : k.value}`;
    case "str": return `s:${k.value}`;
  }
}

function keyString(k: GoScalar, at: number | undefined): string {
  switch (k.kind) {
    case "str": return k.value;
    case "bool": return k.value ? "true" : "false";
    case "float": return formatFloat32Key(k.value);
    case "int":
      if (k.value > INT64_MAX) throw new YamlReadError(at, "a map key is an integer beyond int64 (kubectl refuses it too)");
      return String(k.value);
    case "null": throw new YamlReadError(at, "a map key is null (~, null or empty); kubectl refuses it: quote it if you mean the text");
  }
}

/** Options for the yaml package: syntax only (failsafe), YAML 1.1, duplicates and merges left to us. */
const PARSE = { version: "1.1", schema: "failsafe", merge: false, uniqueKeys: false, prettyErrors: false } as const;

/**
 * Reads one YAML document (one chunk between `---` lines, as kubectl's reader splits them) to the
 * JSON value kubectl would build from it; null for an empty document. Throws YamlReadError.
 */
export function readYamlDocument(chunk: string): JsonValue {
  const separator = /[\u2028\u2029]/.exec(chunk);
  if (separator) {
    // libyaml reads them as line breaks but keeps them inside scalars; rather than guess, refuse.
    throw new YamlReadError(separator.index, "the text holds a Unicode line or paragraph separator (U+2028/U+2029), " +
      "which YAML 1.1 reads as a line break: replace it with a newline, or escape it in a double-quoted string");
  }
  if (/^%/m.test(chunk)) {
    for (const token of new Parser().parse(chunk)) {
      if (token.type === "directive") {
        throw new YamlReadError(token.offset, "a %YAML or %TAG directive never reaches its document: kubectl splits documents " +
          "at --- lines first, and go-yaml refuses a directive without one; remove the directive");
      }
    }
  }
  // libyaml's line breaks: CR LF, CR and NEL all read as LF.
  const text = chunk.replace(/\r\n?|\u0085/g, "\n");
  try {
    const docs = parseAllDocuments(text, PARSE);
    // go-yaml v2's Unmarshal reads the first document of its input only.
    const doc = (Array.isArray(docs) ? docs[0] : undefined) as Document.Parsed | undefined;
    if (!doc) return null;
    const err = doc.errors[0];
    if (err) throw new YamlReadError(err.pos[0], "invalid YAML", err.code);
    return new Decoder(doc).value(doc.contents as Node | null, 0);
  } catch (err) {
    // The parser recurses per level: a crafted file can exhaust the stack before our depth check.
    if (err instanceof RangeError) throw new YamlReadError(undefined, `the document nests deeper than ${MAX_NESTING_DEPTH} levels`);
    throw err;
  }
}
