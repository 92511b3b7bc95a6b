/** A few columns of `sealsync audit export --format csv`, to read in a terminal. */

/** The header and first rows of the CSV export, cut to the columns that matter here (revisions shortened). */
export function csvPreview(csv: string, rows = 12): string[] {
  // The byte order mark is for spreadsheets; a terminal does not need it.
  const lines = csv.replace(/^\uFEFF/, "").trim().split(/\r?\n/).map(csvFields);
  const header = lines[0] ?? [];
  const keep = ["seq", "ts", "action", "kind", "name", "revision", "fieldManager"].map((c) => header.indexOf(c)).filter((i) => i >= 0);
  const cut = (fields: string[]) => keep.map((i) => header[i] === "revision" ? (fields[i] ?? "").slice(0, 7) : fields[i] ?? "").join(",");
  const total = lines.length - 1;
  const shown = Math.min(rows, total);
  return [keep.map((i) => header[i]).join(","), ...lines.slice(1, shown + 1).map(cut),
    `(${keep.length} of ${header.length} columns${shown < total ? `, ${shown} of ${total} rows` : ""} shown)`];
}

/** The fields of one CSV line (RFC 4180 quoting; the rows shown here hold no line breaks). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === "," && !quoted) {
      fields.push(field);
      field = "";
    } else {
      field += c;
    }
  }
  return [...fields, field];
}
