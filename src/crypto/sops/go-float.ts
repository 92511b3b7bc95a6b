/**
 * Go's float formatting and parsing as SOPS uses them: `strconv.FormatFloat(v, 'f', -1, 64)` (shortest
 * round-trip digits, never an exponent) and `strconv.ParseFloat(s, 64)`.
 */

/** Shortest round-trip decimal without exponent: 1e21 → "1000000000000000000000", 1e-7 → "0.0000001". */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  // JS already gives the shortest round-trip digits; only the exponent form needs expanding.
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = "", expText] = m;
  const digits = `${lead}${frac}`;
  const exp = Number(expText); // position of the decimal point relative to after `lead`
  const point = 1 + exp;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const decimalFloat = /^[+-]?(?:\d+(?:_\d+)*\.?(?:\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?$/;

/** Go `ParseFloat(s, 64)` for the decimal forms plus inf/infinity/nan; undefined when Go would fail. */
export function parseGoFloat(s: string): number | undefined {
  const lower = s.toLowerCase();
  const unsigned = lower.replace(/^[+-]/, "");
  if (unsigned === "inf" || unsigned === "infinity") return lower.startsWith("-") ? -Infinity : Infinity;
  if (lower === "nan") return NaN;
  if (!decimalFloat.test(s) || s.includes("_")) {
    // Go accepts underscores only with a base prefix; hex floats are rare enough to leave out.
    return undefined;
  }
  const n = Number(s);
  // Go returns an error (ErrRange) on overflow; JS gives Infinity.
  if (!Number.isFinite(n)) return undefined;
  return n;
}

/** go-yaml's float rendering: `FormatFloat(v, 'g', -1, 64)` with `.inf`, `-.inf`, `.nan`. */
export function formatYamlFloat(n: number): string {
  if (Number.isNaN(n)) return ".nan";
  if (n === Infinity) return ".inf";
  if (n === -Infinity) return "-.inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(n.toExponential())!;
  const [, sign, lead, frac = "", expText] = m as unknown as string[];
  const exp = Number(expText);
  // Shortest formatting switches to an exponent below 1e-4 and from 1e6 (Go uses precision 6 there).
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sign}${lead}${frac ? `.${frac}` : ""}e${exp < 0 ? "-" : "+"}${e}`;
  }
  return formatGoFloat(n);
}
