/**
 * Shape limits a manifest must keep before anything walks it recursively or applies it: nesting depth
 * (a 200,000-deep JSON or flow-YAML document must be a clear error, not a RangeError stack) and numbers
 * that JSON/YAML would silently change (`replicas: 1e400` → Infinity, integers past 2^53 rounded).
 * Used by the manifest reader (parse.ts) on the raw text and on each parsed document; messages name
 * field paths, never values.
 */

/** Deeper than any real Kubernetes object (CRD schemas included) by far. */
export const MAX_DEPTH = 512;

/**
 * The deepest bracket nesting of JSON or flow-YAML text, outside quoted strings, stopping as soon as it
 * passes `limit` — a linear scan with no recursion, run before a parser that might recurse.
 */
export function bracketDepthOver(text: string, limit = MAX_DEPTH): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || (c === "'" && /[\s[{,:]/.test(text[i - 1] ?? " "))) {
      quote = c;
    } else if (c === "[" || c === "{") {
      if (++depth > limit) return true;
    } else if (c === "]" || c === "}") {
      depth = Math.max(0, depth - 1);
    } else if (c === "\n") {
      // A YAML plain scalar may hold a stray quote; quotes never span lines in JSON.
      if (quote === "'") quote = undefined;
    }
  }
  return false;
}

export interface LimitProblem {
  /** Field path like `spec.replicas` or `spec.containers[0].ports[1].containerPort` ("" = the document). */
  path: string;
  message: string;
}

const keyPath = (parent: string, key: string) =>
  /^[A-Za-z_][\w-]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;

/**
 * Walks a parsed document (iteratively) and reports nesting past MAX_DEPTH and numbers that cannot be
 * what was written: non-finite (1e400), or integers beyond ±(2^53 − 1), which JSON/YAML round.
 */
export function checkDocumentLimits(value: unknown): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === "number" || typeof v === "bigint") {
      const n = Number(v);
      if (!Number.isFinite(n)) {
        problems.push({ path, message: "number out of range (it would become Infinity); write a smaller number, or quote it if it is a string" });
      } else if ((typeof v === "bigint" || Number.isInteger(n)) && !Number.isSafeInteger(n)) {
        problems.push({ path, message: "integer beyond 2^53 (it would be silently rounded); quote it if it is a string" });
      }
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth >= MAX_DEPTH) {
      problems.push({ path, message: `nested deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, path: `${path}[${i}]`, depth: depth + 1 }));
    else for (const [k, item] of Object.entries(v)) stack.push({ v: item, path: keyPath(path, k), depth: depth + 1 });
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : 1));
}
