/**
 * The CSV shape of entries: one fixed column set (header fields, then every action field), so one
 * file holds all actions and a spreadsheet opens it as is. The mapping is invertible
 * (`fromCsvRecord`), so a CSV export still carries exact entries and their chain.
 *
 * Spreadsheets run cells starting with = + - @ as formulas, and commit subjects or names come from
 * Git, so such cells (and cells starting with ') get a leading ' that spreadsheets hide and
 * `fromCsvRecord` removes.
 */
import { ALL_FIELDS, fieldsOf, isAuditAction, type AuditEntry } from "./entry.js";
import { AuditQueryError } from "./errors.js";

/** The subject columns come first, so a spreadsheet reads "what happened to which object"; then every other field. */
const LEADING = ["revision", "kind", "group", "namespace", "name", "uid", "resourceVersion"];
export const CSV_COLUMNS: readonly string[] = [
  "seq", "ts", "action", ...LEADING,
  ...ALL_FIELDS.map((f) => f.name).filter((name) => !LEADING.includes(name)),
  "prev", "mac",
];

const FORMULA_START = /^[=+\-@\t\r']/;

function encodeCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function decodeCell(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** The entry's cells in CSV_COLUMNS order; absent fields are empty. */
export function toCsvRecord(entry: AuditEntry): string[] {
  const record = entry as unknown as Record<string, unknown>;
  return CSV_COLUMNS.map((column) => encodeCell(record[column]));
}

/** The inverse of toCsvRecord, given a row keyed by header name. */
export function fromCsvRecord(row: Readonly<Record<string, string>>): AuditEntry {
  const cell = (name: string) => decodeCell(row[name] ?? "");
  const action = cell("action");
  if (!isAuditAction(action)) throw new AuditQueryError(`CSV row: "action" is not an audit action`);
  const int = (name: string) => {
    const text = cell(name);
    if (!/^\d+$/.test(text)) throw new AuditQueryError(`CSV row (action ${action}): "${name}" is not a number`);
    return Number(text);
  };
  const entry: Record<string, unknown> = { seq: int("seq"), ts: cell("ts"), action };
  for (const field of fieldsOf(action)) {
    const text = cell(field.name);
    // Optional fields are never written empty (the writer drops empty optional strings).
    if (text === "" && field.optional) continue;
    entry[field.name] = field.type === "int" ? int(field.name) : text;
  }
  entry.prev = cell("prev") === "" ? null : cell("prev");
  if (cell("mac") !== "") entry.mac = cell("mac");
  return entry as unknown as AuditEntry;
}
