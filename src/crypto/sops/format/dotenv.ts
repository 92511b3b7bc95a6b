/**
 * The dotenv store as sops reads and writes it: `KEY=VALUE` lines split at the first `=`, nothing
 * trimmed or unquoted, `\n` escapes for newlines, `#` comment lines.
 */
import { Comment, TreeMap, type TreeValue } from "../tree.js";
import { formatGoFloat } from "../go-float.js";

export class DotenvFormatError extends Error {
  override name = "DotenvFormatError";
}

export function parseDotenv(text: string): TreeMap {
  const m = new TreeMap();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line === "") return;
    if (line.startsWith("#")) {
      m.items.push(new Comment(line.slice(1)));
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new DotenvFormatError(`line ${i + 1}: invalid dotenv line (expected KEY=VALUE)`);
    m.items.push({ key: line.slice(0, eq), value: line.slice(eq + 1).replace(/\\n/g, "\n") });
  });
  return m;
}

function valueText(v: TreeValue, key: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return formatGoFloat(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  throw new DotenvFormatError(`key ${key}: dotenv values must be strings; nested values cannot be written as dotenv`);
}

export function emitDotenv(doc: TreeMap): string {
  let out = "";
  for (const it of doc.items) {
    if (it instanceof Comment) out += `#${it.text}\n`;
    else out += `${it.key}=${valueText(it.value, it.key).replace(/\n/g, "\\n")}\n`;
  }
  return out;
}
