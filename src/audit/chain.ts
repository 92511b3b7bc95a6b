/**
 * The chain: how an entry becomes its exact line bytes, and how lines link and are signed.
 *
 * A line is the JSON of the entry with keys in one fixed order (seq, ts, action, the action's fields
 * in schema order, prev, mac), no spaces, UTF-8. `prev` is the SHA-256 of the previous line's exact
 * bytes, so editing, removing or reordering any line breaks the link after it. With a key, `mac` is
 * HMAC-SHA256 over the same line without `mac`, so the chain cannot be rebuilt without the key.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { fieldsOf, type AuditAction } from "./entry.js";

/** The loosest shape the serializer needs: a header plus the action's fields. */
export interface EntryRecord {
  seq: number;
  ts: string;
  action: AuditAction;
  prev: string | null;
  mac?: string;
  [field: string]: unknown;
}

function ordered(entry: EntryRecord, withMac: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { seq: entry.seq, ts: entry.ts, action: entry.action };
  for (const field of fieldsOf(entry.action)) {
    if (entry[field.name] !== undefined) out[field.name] = entry[field.name];
  }
  out.prev = entry.prev;
  if (withMac && entry.mac !== undefined) out.mac = entry.mac;
  return out;
}

/** The canonical line without `mac`: what the HMAC signs. */
export function unsignedLine(entry: EntryRecord): string {
  return JSON.stringify(ordered(entry, false));
}

/** The canonical line as written (with `mac` when present), without the newline. */
export function entryLine(entry: EntryRecord): string {
  return JSON.stringify(ordered(entry, true));
}

/** The link: hex SHA-256 of a line's exact bytes (no newline). */
export function lineHash(line: Uint8Array | string): string {
  return createHash("sha256").update(line).digest("hex");
}

export function signEntry(key: Uint8Array, entry: EntryRecord): string {
  return createHmac("sha256", key).update(unsignedLine(entry)).digest("hex");
}

/** Constant-time check of an entry's `mac` against the key. */
export function macMatches(key: Uint8Array, entry: EntryRecord): boolean {
  if (entry.mac === undefined) return false;
  const expected = Buffer.from(signEntry(key, entry), "hex");
  const given = Buffer.from(entry.mac, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
