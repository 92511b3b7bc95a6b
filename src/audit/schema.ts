/**
 * Checking entries against the vocabulary in entry.ts, in two directions:
 * - `normalizeEvent` is the redaction guard on the way in: only schema fields survive, so a value a
 *   caller put in a stray field (`value`, `data`, `secret`…) never reaches the file.
 * - `checkStoredEntry` is strict on the way out: a stored line with an unknown or mistyped field is
 *   not something the writer produced.
 */
import { ACTIONS, HEADER_FIELDS, WRITER_ACTIONS, fieldsOf, isAuditAction, type AuditAction, type AuditEntry, type FieldInfo } from "./entry.js";
import { AuditSchemaError } from "./errors.js";

/** Longer strings are cut: identifiers are short, and a log line must stay small. */
export const MAX_STRING_LENGTH = 2048;

export type EventFields = Record<string, string | number>;

export interface NormalizedEvent {
  action: AuditAction;
  /** The action's fields in canonical order, optional empty strings dropped. */
  fields: EventFields;
  /** Names (never values) of the fields the guard removed. */
  stripped: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function truncate(value: string): string {
  if (value.length <= MAX_STRING_LENGTH) return value;
  let cut = MAX_STRING_LENGTH - 1;
  // Do not split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(value.charAt(cut - 1))) cut -= 1;
  return `${value.slice(0, cut)}…`;
}

function typeProblem(field: FieldInfo, value: unknown): string | undefined {
  switch (field.type) {
    case "int":
      return Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : "must be a non-negative integer";
    case "enum":
      return typeof value === "string" && field.values?.includes(value) ? undefined : `must be one of ${field.values?.join(", ")}`;
    case "string":
      return typeof value === "string" ? undefined : "must be a string";
  }
}

/**
 * Validates a caller's event and returns only its schema fields. Unknown fields are stripped and
 * named in `stripped`; a missing or mistyped schema field throws (the message never shows the value).
 */
export function normalizeEvent(input: unknown, opts: { allowWriterActions?: boolean } = {}): NormalizedEvent {
  if (!isRecord(input)) throw new AuditSchemaError("audit event must be an object with an `action` field");
  const action = input.action;
  if (!isAuditAction(action) || (!opts.allowWriterActions && (WRITER_ACTIONS as readonly string[]).includes(action))) {
    throw new AuditSchemaError(`unknown audit action: expected one of ${Object.keys(ACTIONS).filter((a) => !(WRITER_ACTIONS as readonly string[]).includes(a)).join(", ")}`);
  }
  const fields: EventFields = {};
  const schema = fieldsOf(action);
  for (const field of schema) {
    const value = input[field.name];
    if (value === undefined || value === null || (field.optional && value === "")) {
      if (!field.optional) throw new AuditSchemaError(`audit event "${action}": field "${field.name}" is required`);
      continue;
    }
    const problem = typeProblem(field, value);
    if (problem) throw new AuditSchemaError(`audit event "${action}": field "${field.name}" ${problem}`);
    fields[field.name] = typeof value === "string" ? truncate(value) : (value as number);
  }
  const known = new Set(["action", ...schema.map((f) => f.name)]);
  const stripped = Object.keys(input).filter((key) => !known.has(key));
  return { action, fields, stripped };
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Checks a parsed line is exactly an entry the writer could have produced; returns why not, or the entry. */
export function checkStoredEntry(value: unknown): { entry: AuditEntry } | { problem: string } {
  if (!isRecord(value)) return { problem: "not a JSON object" };
  const { seq, ts, action, prev, mac } = value;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return { problem: "`seq` is not a positive integer" };
  if (typeof ts !== "string" || !TIMESTAMP.test(ts) || Number.isNaN(Date.parse(ts))) return { problem: "`ts` is not an RFC 3339 timestamp" };
  if (!isAuditAction(action)) return { problem: "`action` is not a known audit action" };
  if (prev !== null && (typeof prev !== "string" || !HEX64.test(prev))) return { problem: "`prev` is not a SHA-256 hex digest or null" };
  if (mac !== undefined && (typeof mac !== "string" || !HEX64.test(mac))) return { problem: "`mac` is not an HMAC-SHA256 hex digest" };
  const schema = fieldsOf(action);
  for (const field of schema) {
    const v = value[field.name];
    if (v === undefined) {
      if (!field.optional) return { problem: `field "${field.name}" is missing` };
      continue;
    }
    const problem = typeProblem(field, v);
    if (problem) return { problem: `field "${field.name}" ${problem}` };
  }
  const known = new Set<string>([...HEADER_FIELDS, ...schema.map((f) => f.name)]);
  const unknown = Object.keys(value).find((key) => !known.has(key));
  if (unknown !== undefined) return { problem: `unexpected field "${unknown.slice(0, 40)}"` };
  return { entry: value as unknown as AuditEntry };
}
