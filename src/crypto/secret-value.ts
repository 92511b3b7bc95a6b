/**
 * SecretValue: a decrypted value that refuses to be printed by accident.
 * toString/toJSON/util.inspect all give a redaction marker; only `.reveal*()` hands out the plaintext.
 */
import { inspect } from "node:util";
import { REDACTED } from "../util/redact.js";

export { REDACTED };

export class SecretValue {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array | string) {
    // Copy so the caller cannot mutate what we hold (and vice versa).
    this.#bytes = typeof bytes === "string" ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes);
  }

  /** The plaintext as UTF-8 text. */
  revealText(): string {
    return new TextDecoder().decode(this.#bytes);
  }

  /** The plaintext bytes (a copy). */
  revealBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** Constant-time comparison with another secret. */
  equals(other: SecretValue): boolean {
    const a = this.#bytes;
    const b = other.#bytes;
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
    return diff === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `SecretValue(${REDACTED})`;
  }
}
