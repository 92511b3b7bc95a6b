/**
 * The one marker that stands where a secret was removed: in logs, error messages, Git errors and
 * SecretValue's printouts alike, so a reader (or a grep) finds every redaction by one string.
 */
export const REDACTED = "[REDACTED]";

/** Replaces every occurrence of each secret in `text` by the marker. */
export function redactAll(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join(REDACTED);
  return out;
}
