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
