/**
 * What a manifest may hold so that the object sent is exactly the object written: numbers JSON (and
 * the JavaScript that serialises it) carries without loss, and a bounded nesting depth.
 */

/** Deeper than any real manifest; stops a crafted file from exhausting the stack. */
export const MAX_NESTING_DEPTH = 512;

/**
 * Why an integer cannot be sent as written, or undefined when it can. kubectl would send integers up
 * to 2^63 exactly; sealsync serialises with JavaScript numbers, which are exact only up to 2^53, and a
 * silently rounded number is worse than a refusal.
 */
export function unsafeIntegerReason(value: bigint): string | undefined {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (value <= max && value >= -max) return undefined;
  return `an integer beyond ±2^53 (${value < 0n ? "-" : ""}${String(value).replace(/^-/, "").length} digits) cannot be sent exactly: ` +
    "write it as a quoted string if the field is a string, or keep it within ±9007199254740991";
}

/**
 * The deepest bracket nesting of JSON or flow-YAML text, outside quoted strings, stopping as soon as it
 * passes `limit` — a linear scan with no recursion, run before a parser that might recurse (a 200,000-deep
 * document must be a clear error, not a RangeError stack).
 */
export function bracketDepthOver(text: string, limit = MAX_NESTING_DEPTH): boolean {
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
