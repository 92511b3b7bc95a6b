/**
 * YAML scalars as go-yaml v3 (what sops uses) reads and writes them: implicit type resolution of plain
 * scalars (YAML 1.2-ish, 64-bit ints, 0777 octal, timestamps) and the emitter's quoting-style choice.
 */
import { parseGoFloat } from "../go-float.js";
import type { Scalar } from "../tree.js";
import { parseYamlTimestamp } from "../values.js";

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

const special = new Map<string, Scalar>([
  ["", null], ["~", null], ["null", null], ["Null", null], ["NULL", null],
  ["true", true], ["True", true], ["TRUE", true],
  ["false", false], ["False", false], ["FALSE", false],
  [".nan", NaN], [".NaN", NaN], [".NAN", NaN],
  [".inf", Infinity], [".Inf", Infinity], [".INF", Infinity],
  ["+.inf", Infinity], ["+.Inf", Infinity], ["+.INF", Infinity],
  ["-.inf", -Infinity], ["-.Inf", -Infinity], ["-.INF", -Infinity],
]);

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go `strconv.ParseInt(s, 0, 64)` (falling back to ParseUint): 0x, 0o, 0b, leading-0 octal, decimal. */
function goParseInt(s: string): bigint | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]+)|(0|[1-9][0-9]*))$/.exec(s);
  if (!m) return undefined;
  const [, sign, hex, oct, bin, oct0, dec] = m;
  let v: bigint;
  if (hex !== undefined) v = BigInt(`0x${hex}`);
  else if (oct !== undefined) v = BigInt(`0o${oct}`);
  else if (bin !== undefined) v = BigInt(`0b${bin}`);
  else if (oct0 !== undefined) v = BigInt(`0o${oct0}`);
  else v = BigInt(dec!);
  if (sign === "-") v = -v;
  if (v < INT64_MIN || v > UINT64_MAX) return undefined;
  if (sign === "-" && v < INT64_MIN) return undefined;
  return v;
}

/** Resolves an untagged plain scalar the way go-yaml v3 decodes it into interface{}. */
export function resolvePlain(s: string): Scalar {
  const hit = special.get(s);
  if (hit !== undefined || special.has(s)) return hit ?? null;
  const c = s.charAt(0);
  if (c === "." ) {
    const f = parseGoFloat(s);
    return f === undefined ? s : f;
  }
  if (!/[-+0-9]/.test(c)) return s;
  const t = parseYamlTimestamp(s);
  if (t) return t;
  const plain = s.replace(/_/g, "");
  const i = goParseInt(plain);
  if (i !== undefined) return i;
  if (yamlStyleFloat.test(plain)) {
    const f = parseGoFloat(plain);
    if (f !== undefined) return f;
  }
  return s;
}

/** What go-yaml's encoder thinks a string would resolve to when written plain. */
function resolvesToString(s: string): boolean {
  return typeof resolvePlain(s) === "string" && s !== "<<";
}

const oldBools = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"]);
const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

export type ScalarStyle = "plain" | "single" | "double" | "literal";

/** libyaml's printable set as go-yaml implements it (no astral plane, no NEL). */
function isPrintable(cp: number): boolean {
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}
const isBreak = (ch: string) => ch === "\n" || ch === "\r" || ch === "\u0085" || ch === "\u2028" || ch === "\u2029";
const isSpace = (ch: string) => ch === " ";
const isBlankz = (ch: string | undefined) => ch === undefined || ch === " " || ch === "\t" || ch === "\0" || isBreak(ch);

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** yaml_emitter_analyze_scalar: which styles the emitter may use for this text. */
function analyze(value: string): Analysis {
  if (value === "") return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const chars = Array.from(value);
  let blockIndicators = value.startsWith("---") || value.startsWith("...");
  let lineBreaks = false, specialCharacters = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const first = i === 0, last = i === chars.length - 1;
    const followedByWhitespace = isBlankz(chars[i + 1]);
    if (first) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) blockIndicators = true;
      if ((ch === "?" || ch === ":") && followedByWhitespace) blockIndicators = true;
      if (ch === "-" && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ":" && followedByWhitespace) blockIndicators = true;
      if (ch === "#" && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(ch.codePointAt(0)!)) specialCharacters = true;
    if (isBreak(ch)) lineBreaks = true;
    if (isSpace(ch)) {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      if (first) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(ch);
  }
  let blockPlainAllowed = true, singleQuotedAllowed = true, blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) blockPlainAllowed = singleQuotedAllowed = false;
  if (spaceBreak || specialCharacters) blockPlainAllowed = singleQuotedAllowed = blockAllowed = false;
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

/** The style go-yaml v3 writes a string in (block context; `key` = simple-key context). */
export function stringStyle(s: string, key: boolean): ScalarStyle {
  const canUsePlain = resolvesToString(s) && !base60Float.test(s) && !oldBools.has(s);
  let style: ScalarStyle = s.includes("\n") ? "literal" : canUsePlain ? "plain" : "double";
  const a = analyze(s);
  if (key && a.multiline) style = "double";
  if (style === "plain") {
    if (!a.blockPlainAllowed) style = "single";
    if (s === "" && key) style = "single";
  }
  if (style === "single" && !a.singleQuotedAllowed) style = "double";
  if (style === "literal" && (!a.blockAllowed || key)) style = "double";
  return style;
}

const escapes: Record<string, string> = {
  "\0": "\\0", "\x07": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\x0b": "\\v", "\f": "\\f",
  "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\u0085": "\\N", "\u00a0": "\\_",
  "\u2028": "\\L", "\u2029": "\\P",
};

export function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const esc = escapes[ch];
    if (esc !== undefined) out += esc;
    else if (!isPrintable(cp) || cp === 0xfeff) {
      if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}`;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).toUpperCase().padStart(8, "0")}`;
    } else out += ch;
  }
  return `${out}"`;
}

export function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A literal block (`|`, `|-`, `|+`, with an indentation indicator when the text starts with a space). */
export function literalBlock(s: string, indent: number, bestIndent: number): string {
  let header = "|";
  if (s.startsWith(" ") || isBreak(s.charAt(0))) header += String(bestIndent);
  if (!s.endsWith("\n")) header += "-";
  else if (s === "\n" || s.endsWith("\n\n")) header += "+";
  const pad = " ".repeat(indent);
  const body = s.endsWith("\n") ? s.slice(0, -1) : s;
  const lines = body.split("\n").map((l) => (l === "" ? "" : pad + l));
  return `${header}\n${lines.join("\n")}`;
}

