/**
 * SOPS value types: how a typed leaf becomes the plaintext bytes that are encrypted and MAC'd, and back.
 * str → UTF-8, int → decimal int64, float → Go 'f' -1, bool → True/False, time → RFC 3339 Nano.
 */
import { formatGoFloat, parseGoFloat } from "./go-float.js";
import { Comment, SopsTime, type Scalar } from "./tree.js";

export type SopsType = "str" | "int" | "float" | "bool" | "time" | "comment" | "bytes";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export class ValueTypeError extends Error {
  override name = "ValueTypeError";
}

/** The `type:` tag and plaintext bytes for a leaf (null never reaches here: it is not encrypted). */
export function encodeValue(v: Exclude<Scalar, null> | Comment): { type: SopsType; bytes: Uint8Array } {
  if (v instanceof Comment) return { type: "comment", bytes: utf8.encode(v.text) };
  if (typeof v === "string") return { type: "str", bytes: utf8.encode(v) };
  if (v instanceof Uint8Array) return { type: "str", bytes: v };
  if (typeof v === "bigint") {
    if (v < INT64_MIN || v > INT64_MAX) throw new ValueTypeError("integer out of the 64-bit range");
    return { type: "int", bytes: utf8.encode(v.toString()) };
  }
  if (typeof v === "number") return { type: "float", bytes: utf8.encode(formatGoFloat(v)) };
  if (typeof v === "boolean") return { type: "bool", bytes: utf8.encode(v ? "True" : "False") };
  return { type: "time", bytes: utf8.encode(v.text) };
}

/** The bytes a leaf contributes to the MAC (same as its encrypted plaintext); null contributes none. */
export function macBytes(v: Scalar): Uint8Array {
  if (v === null) return new Uint8Array(0);
  return encodeValue(v).bytes;
}

const goTrue = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const goFalse = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/**
 * Restores a typed value from decrypted plaintext. `binary` keeps `str` as raw bytes (the binary
 * store may hold non-UTF-8 data). Throws ValueTypeError with a message that never quotes the value.
 */
export function decodeValue(bytes: Uint8Array, type: string, binary = false): Exclude<Scalar, null> | Comment {
  switch (type) {
    case "str":
      if (binary) return bytes;
      return text(bytes);
    case "bytes":
      // Legacy decrypt-only type: raw bytes, not base64.
      return bytes;
    case "comment":
      return new Comment(text(bytes));
    case "int": {
      const s = text(bytes);
      if (!/^[+-]?\d+$/.test(s)) throw new ValueTypeError("type int but the plaintext is not an integer");
      const n = BigInt(s);
      if (n < INT64_MIN || n > INT64_MAX) throw new ValueTypeError("type int but the plaintext is out of the 64-bit range");
      return n;
    }
    case "float": {
      const n = parseGoFloat(text(bytes));
      if (n === undefined) throw new ValueTypeError("type float but the plaintext is not a number");
      return n;
    }
    case "bool": {
      const s = text(bytes);
      if (goTrue.has(s)) return true;
      if (goFalse.has(s)) return false;
      throw new ValueTypeError("type bool but the plaintext is not a boolean");
    }
    case "time": {
      const t = normalizeRfc3339(text(bytes));
      if (t === undefined) throw new ValueTypeError("type time but the plaintext is not an RFC 3339 time");
      return new SopsTime(t);
    }
    default:
      throw new ValueTypeError(`unknown value type "${type.slice(0, 16)}"`);
  }
}

function text(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw new ValueTypeError("the plaintext is not valid UTF-8");
  }
}

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go `time.Parse(RFC3339Nano)` then `MarshalText`: fractional zeros trimmed, zero offset as `Z`. */
export function normalizeRfc3339(s: string): string | undefined {
  const m = rfc3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
  return formatTime(y!, mo!, d!, h!, mi!, sec!, frac, zone!);
}

function formatTime(y: string, mo: string, d: string, h: string, mi: string, s: string, frac: string | undefined, zone: string): string | undefined {
  const month = Number(mo), day = Number(d), hour = Number(h), min = Number(mi), sec = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(y), month) || hour > 23 || min > 59 || sec > 59) return undefined;
  const f = (frac ?? "").slice(0, 9).replace(/0+$/, "");
  let z = zone.toUpperCase() === "Z" ? "Z" : zone;
  if (z !== "Z") {
    const [zh, zm] = z.slice(1).split(":").map(Number) as [number, number];
    if (zh > 23 || zm > 59) return undefined;
    if (zh === 0 && zm === 0) z = "Z";
  }
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${y}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(min)}:${p2(sec)}${f ? `.${f}` : ""}${z}`;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const yamlDate = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const yamlTimeT = /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;
const yamlTimeSpace = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/;

/**
 * go-yaml v3's implicit timestamp resolution for plain scalars ("2006-1-2", "2006-1-2T15:4:5Z07:00",
 * "2006-1-2 15:4:5"), rendered as Go MarshalText. Undefined when the scalar is not a timestamp.
 */
export function parseYamlTimestamp(s: string): SopsTime | undefined {
  let m = yamlDate.exec(s);
  if (m) {
    const t = formatTime(m[1]!, m[2]!, m[3]!, "0", "0", "0", undefined, "Z");
    return t === undefined ? undefined : new SopsTime(t);
  }
  m = yamlTimeT.exec(s) ?? yamlTimeSpace.exec(s);
  if (!m) return undefined;
  const t = formatTime(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7], m[8] ?? "Z");
  return t === undefined ? undefined : new SopsTime(t);
}
