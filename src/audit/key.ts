/** The HMAC key file (`--audit-hmac-key-file`, `audit verify --hmac-key-file`): read it, check it, never print it. */
import { readFile } from "node:fs/promises";
import { AuditKeyError } from "./errors.js";

/** Shorter keys are refused: an HMAC key must not be guessable. */
export const MIN_HMAC_KEY_BYTES = 16;

/**
 * Reads a key file. Trailing newlines are dropped so that `echo`-written files and mounted Secret
 * keys (no newline) give the same key on the writer and the verifier.
 */
export async function readHmacKeyFile(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new AuditKeyError(`cannot read the audit HMAC key file ${file} (${code}): check the path and its permissions`, { cause: err });
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end -= 1;
  const key = bytes.subarray(0, end);
  if (key.length < MIN_HMAC_KEY_BYTES) {
    throw new AuditKeyError(
      `the audit HMAC key in ${file} is ${key.length} bytes; at least ${MIN_HMAC_KEY_BYTES} are needed: ` +
        "create one with `head -c 32 /dev/urandom | base64 > FILE`",
    );
  }
  return Buffer.from(key);
}
