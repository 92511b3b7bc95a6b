/**
 * A field-level diff between the live object and what an apply would make of it — with every Secret
 * value hidden, and every value of any document that was encrypted in Git (a SOPS-encrypted ConfigMap
 * or custom resource holds secrets too), while still saying which fields were added, removed or
 * changed (hiding that a secret changed at all is its own bug: Argo CD #15825).
 */
import type { KubeObject } from "../kube/client.js";
import { redactAll } from "../util/redact.js";

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

/** Replaces every occurrence of the given secret strings (and their base64 forms) in a message by the redaction marker. */
export function redactSecrets(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) {
    if (s.length < 4) continue; // too short to search for without mangling the message
    out = redactAll(out, [s]);
    const decoded = Buffer.from(s, "base64").toString("utf8");
    if (decoded.length >= 4 && Buffer.from(decoded, "utf8").toString("base64") === s) out = redactAll(out, [decoded]);
  }
  return out;
}

/**
 * The strings an error message about this object must not contain: a Secret's data and stringData
 * values, or every string of a document that was encrypted in Git.
 */
export function secretValuesOf(obj: KubeObject, decrypted = false): string[] {
  if (decrypted) {
    const out: string[] = [];
    const visit = (v: unknown, key: string) => {
      if (typeof v === "string") {
        if (!["apiVersion", "kind", "name", "namespace"].includes(key)) out.push(v);
      } else if (v && typeof v === "object") {
        for (const [k, c] of Object.entries(v)) visit(c, k);
      }
    };
    visit(obj, "");
    return out;
  }
  if (obj.kind !== "Secret") return [];
  const vals: string[] = [];
  for (const field of ["data", "stringData"]) {
    const m = obj[field];
    if (m && typeof m === "object") for (const v of Object.values(m)) if (typeof v === "string") vals.push(v);
  }
  return vals;
}
