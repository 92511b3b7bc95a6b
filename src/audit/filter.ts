/** Which entries an export wants: a time window, object kinds and actions, parsed from CLI flags or query parameters. */
import { DURATION_EXAMPLES, parseDuration } from "../config/duration.js";
import { AUDIT_ACTIONS, isAuditAction, type AuditAction, type AuditEntry } from "./entry.js";
import { AuditQueryError } from "./errors.js";

export interface EntryFilter {
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** Object kinds (Secret, ConfigMap…), compared case-insensitively; entries without a kind do not match. */
  kinds?: string[];
  actions?: AuditAction[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A point in time: RFC 3339, a UTC date, or a duration before `now` (config/duration.ts: 90m, 1h30m, 7d). */
export function parseTime(text: string, name: string, now: Date = new Date()): Date {
  const trimmed = text.trim();
  const ago = parseDuration(trimmed);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const date = new Date(`${trimmed}T00:00:00Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (RFC3339.test(trimmed)) {
    const date = new Date(trimmed.replace(" ", "T"));
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new AuditQueryError(
    `${name} "${text.slice(0, 64)}" is not a time: use RFC 3339 (2026-05-01T12:00:00Z), a UTC date (2026-05-01) or a duration ago (${DURATION_EXAMPLES})`,
  );
}

/** Action names, repeated or comma-separated. */
export function parseActions(values: readonly string[], name: string): AuditAction[] {
  const actions = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  for (const action of actions) {
    if (!isAuditAction(action)) throw new AuditQueryError(`${name} "${action.slice(0, 64)}" is not an audit action; use one of: ${AUDIT_ACTIONS.join(", ")}`);
  }
  return actions as AuditAction[];
}

export interface FilterArgs {
  since?: string;
  until?: string;
  kind?: readonly string[];
  action?: readonly string[];
}

/** Builds a filter from raw arguments; `names` are how the caller spells them (flags or query parameters). */
export function buildFilter(args: FilterArgs, names: { since: string; until: string; action: string }, now: Date = new Date()): EntryFilter {
  const filter: EntryFilter = {};
  if (args.since !== undefined) filter.since = parseTime(args.since, names.since, now);
  if (args.until !== undefined) filter.until = parseTime(args.until, names.until, now);
  if (filter.since && filter.until && filter.since >= filter.until) {
    throw new AuditQueryError(`${names.since} must be before ${names.until} (the window is since ≤ ts < until)`);
  }
  const kinds = (args.kind ?? []).flatMap((k) => k.split(",")).map((k) => k.trim()).filter(Boolean);
  if (kinds.length > 0) filter.kinds = kinds;
  const actions = parseActions(args.action ?? [], names.action);
  if (actions.length > 0) filter.actions = actions;
  return filter;
}

export function matchesFilter(entry: AuditEntry, filter: EntryFilter): boolean {
  if (filter.since || filter.until) {
    const ts = Date.parse(entry.ts);
    if (filter.since && ts < filter.since.getTime()) return false;
    if (filter.until && ts >= filter.until.getTime()) return false;
  }
  if (filter.actions && !filter.actions.includes(entry.action)) return false;
  if (filter.kinds) {
    const kind = "kind" in entry ? entry.kind?.toLowerCase() : undefined;
    if (kind === undefined || !filter.kinds.some((k) => k.toLowerCase() === kind)) return false;
  }
  return true;
}
