/**
 * Shamir secret sharing over GF(2^8) as sops uses it for ≥2 key groups: one random polynomial per byte,
 * share i = the y bytes followed by one x byte (i+1).
 */
import { randomBytes } from "node:crypto";

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
(() => {
  // Generator 3 over the AES field (reduction polynomial 0x11B).
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
})();

function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

function div(a: number, b: number): number {
  if (b === 0) throw new Error("division by zero");
  if (a === 0) return 0;
  return EXP[(LOG[a]! - LOG[b]! + 255) % 255]!;
}

export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (threshold < 2 || threshold > 255 || parts < threshold || parts > 255) throw new Error("invalid Shamir parameters");
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = i + 1;
    return s;
  });
  for (let b = 0; b < secret.length; b++) {
    const coeffs = Uint8Array.from([secret[b]!, ...randomBytes(threshold - 1)]);
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      let y = 0;
      for (let c = coeffs.length - 1; c >= 0; c--) y = mul(y, x) ^ coeffs[c]!;
      shares[i]![b] = y;
    }
  }
  return shares;
}

/** Lagrange interpolation at x = 0 over all given shares. */
export function combineShares(shares: Uint8Array[]): Uint8Array {
  const len = shares[0]!.length - 1;
  const xs = shares.map((s) => s[len]!);
  if (new Set(xs).size !== xs.length) throw new Error("duplicate Shamir shares");
  const out = new Uint8Array(len);
  for (let b = 0; b < len; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        basis = mul(basis, div(xs[j]!, xs[i]! ^ xs[j]!));
      }
      acc ^= mul(shares[i]![b]!, basis);
    }
    out[b] = acc;
  }
  return out;
}
