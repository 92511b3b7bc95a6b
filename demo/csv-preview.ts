/** A few columns of `sealsync audit export --format csv`, to read in a terminal. */
import { parse } from "csv-parse/sync";

/** The header and first rows of the CSV export, cut to the columns that matter here (revisions shortened). */
export function csvPreview(csv: string, rows = 12): string[] {
  // csv-parse drops the byte order mark (it is for spreadsheets) and reads quoted fields.
  const lines = parse(csv, { bom: true, relax_column_count: true }) as string[][];
  const header = lines[0] ?? [];
  const keep = ["seq", "ts", "action", "kind", "name", "revision", "fieldManager"].map((c) => header.indexOf(c)).filter((i) => i >= 0);
  const cut = (fields: string[]) => keep.map((i) => header[i] === "revision" ? (fields[i] ?? "").slice(0, 7) : fields[i] ?? "").join(",");
  const total = lines.length - 1;
  const shown = Math.min(rows, total);
  return [keep.map((i) => header[i]).join(","), ...lines.slice(1, shown + 1).map(cut),
    `(${keep.length} of ${header.length} columns${shown < total ? `, ${shown} of ${total} rows` : ""} shown)`];
}
