/**
 * A field-level diff between the live object and what an apply would make of it — with every Secret
 * value hidden, and every value of any document that was encrypted in Git (a SOPS-encrypted ConfigMap
 * or custom resource holds secrets too), while still saying which fields were added, removed or
 * changed (hiding that a secret changed at all is its own bug: Argo CD #15825).
 */
import type { KubeObject } from "../kube/client.js";
import { REDACTED, redactAll } from "../util/redact.js";

export interface FieldChange {
  path: string;
  change: "added" | "removed" | "changed";
  /** Rendered values; "(value hidden)" for secret fields. */
  before?: string;
  after?: string;
}

const HIDDEN = "(value hidden)";
const IGNORED_METADATA = new Set(["managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"]);

function isSecretPath(kind: string, path: string[]): boolean {
  return kind === "Secret" && (path[0] === "data" || path[0] === "stringData");
}

function render(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function diffObjects(live: KubeObject | undefined, next: KubeObject, opts: { hideAllValues?: boolean } = {}): FieldChange[] {
  const kind = next.kind;
  const out: FieldChange[] = [];
  const walk = (a: unknown, b: unknown, path: string[]) => {
    if (path.length === 2 && path[0] === "metadata" && IGNORED_METADATA.has(path[1] as string)) return;
    if (path.length === 1 && path[0] === "status") return;
    const secret = opts.hideAllValues === true || isSecretPath(kind, path);
    const isObj = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
    if (isObj(a) && isObj(b)) {
      const ao = a as Record<string, unknown>;
      const bo = b as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) walk(ao[k], bo[k], [...path, k]);
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const p = path.join(".");
    const show = (v: unknown) => (secret ? HIDDEN : render(v));
    if (a === undefined) out.push({ path: p, change: "added", after: show(b) });
    else if (b === undefined) out.push({ path: p, change: "removed", before: show(a) });
    else out.push({ path: p, change: "changed", before: show(a), after: show(b) });
  };
  walk(live ?? {}, next, []);
  return out;
}

export function formatFieldChange(c: FieldChange): string {
  if (c.change === "added") return `${c.path}: added ${c.after}`;
  if (c.change === "removed") return `${c.path}: removed (was ${c.before})`;
  if (c.before === HIDDEN) return `${c.path}: changed ${HIDDEN}`;
  return `${c.path}: ${c.before} -> ${c.after}`;
}

/**
 * Go's strconv.Quote without the quotes (how the API server quotes a value: `Invalid value: "…"`):
 * `\\`, `\"`, the C escapes, `\xNN` for other control bytes; printable Unicode stays as is.
 */
export function goQuoted(s: string): string {
  const named: Record<string, string> = { "\u0007": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", "\"": "\\\"" };
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (named[ch]) out += named[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The second line of defence (the first: API-server text about a decrypted object is never passed on).
 * Replaces every occurrence of the given values in a message: as written, JSON-escaped, Go-%q-escaped,
 * base64-encoded and base64-decoded. Values of 4+ characters are replaced wherever they occur; shorter
 * ones, numbers and booleans wherever they stand alone (not inside a longer word or number), so a pin
 * `42` is caught without mangling every "42" inside an identifier.
 */
export function redactSecrets(message: string, secrets: (string | number | boolean)[]): string {
  const forms = new Set<string>();
  for (const value of secrets) {
    const s = String(value);
    if (s === "") continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(goQuoted(s));
    if (typeof value === "string") {
      if (s.length >= 4) forms.add(Buffer.from(s, "utf8").toString("base64"));
      const decoded = Buffer.from(s, "base64").toString("utf8");
      if (decoded.length > 0 && Buffer.from(decoded, "utf8").toString("base64") === s) forms.add(decoded);
    }
  }
  let out = message;
  // Longest first, so a value's escaped form is replaced before a shorter value inside it.
  for (const f of [...forms].sort((a, b) => b.length - a.length)) {
    if (f.length >= 4) out = redactAll(out, [f]);
    else out = out.replace(new RegExp(`(?<![A-Za-z0-9_.-])${escapeRegExp(f)}(?![A-Za-z0-9_-]|\\.[0-9])`, "g"), REDACTED);
  }
  return out;
}

/**
 * The values an error message about this object must not contain: a Secret's data and stringData
 * values, or every value (strings, numbers, booleans) of a document that was encrypted in Git.
 */
export function secretValuesOf(obj: KubeObject, decrypted = false): (string | number | boolean)[] {
  if (decrypted) {
    const out: (string | number | boolean)[] = [];
    const visit = (v: unknown, key: string) => {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
        if (!["apiVersion", "kind", "name", "namespace"].includes(key)) out.push(v);
      } else if (v && typeof v === "object") {
        for (const [k, c] of Object.entries(v)) visit(c, k);
      }
    };
    visit(obj, "");
    return out;
  }
  if (obj.kind !== "Secret") return [];
  const vals: (string | number | boolean)[] = [];
  for (const field of ["data", "stringData"]) {
    const m = obj[field];
    if (m && typeof m === "object") {
      for (const v of Object.values(m)) if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") vals.push(v);
    }
  }
  return vals;
}
