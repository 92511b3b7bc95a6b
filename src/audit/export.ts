/**
 * `export`: entries out as JSON Lines (the exact log lines), CSV (csv-stringify, header row, UTF-8
 * BOM for spreadsheets) or one JSON array; streamed with backpressure so a long log never sits in
 * memory, whether the sink is a file, stdout or an HTTP response.
 */
import { stringify } from "csv-stringify/sync";
import { CSV_COLUMNS, toCsvRecord } from "./csv.js";
import { matchesFilter, type EntryFilter } from "./filter.js";
import type { ParsedLine } from "./reader.js";

export type ExportFormat = "jsonl" | "csv" | "json";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["jsonl", "csv", "json"];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: "application/jsonl; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  json: "application/json; charset=utf-8",
};

export interface ExportOptions {
  format: ExportFormat;
  filter?: EntryFilter;
  /** CSV only: start with a UTF-8 byte order mark so spreadsheets read non-ASCII names right. Default true. */
  bom?: boolean;
  /** Counts the entries exported. */
  stats?: { entries: number };
}

const CSV_BATCH = 256;

/** The export as text chunks. */
export async function* exportChunks(entries: AsyncIterable<ParsedLine>, opts: ExportOptions): AsyncGenerator<string> {
  const stats = opts.stats ?? { entries: 0 };
  let rows: string[][] = [];
  let headerDone = false;
  const csvBatch = () => {
    const text = stringify(rows, { header: !headerDone, columns: [...CSV_COLUMNS], bom: !headerDone && opts.bom !== false });
    headerDone = true;
    rows = [];
    return text;
  };
  if (opts.format === "json") yield "[";
  for await (const { entry, raw } of entries) {
    if (opts.filter && !matchesFilter(entry, opts.filter)) continue;
    const line = raw.bytes.toString("utf8");
    switch (opts.format) {
      case "jsonl":
        yield `${line}\n`;
        break;
      case "json":
        yield `${stats.entries === 0 ? "\n" : ",\n"}${line}`;
        break;
      case "csv":
        rows.push(toCsvRecord(entry));
        if (rows.length >= CSV_BATCH) yield csvBatch();
        break;
    }
    stats.entries += 1;
  }
  if (opts.format === "json") yield stats.entries === 0 ? "]\n" : "\n]\n";
  if (opts.format === "csv" && (rows.length > 0 || !headerDone)) yield csvBatch();
}

/**
 * Writes chunks to a stream, waiting on 'drain'. Returns false if the sink closed or failed first
 * (an HTTP client that went away, a closed pipe), in which case reading stops early.
 */
export async function writeChunks(chunks: AsyncIterable<string>, out: NodeJS.WritableStream & { destroyed?: boolean }): Promise<boolean> {
  for await (const chunk of chunks) {
    if (out.destroyed) return false;
    if (!out.write(chunk)) {
      const drained = await new Promise<boolean>((resolve) => {
        const settle = (ok: boolean) => () => {
          out.off("drain", onDrain);
          out.off("close", onClose);
          out.off("error", onClose);
          resolve(ok);
        };
        const onDrain = settle(true);
        const onClose = settle(false);
        out.on("drain", onDrain);
        out.on("close", onClose);
        out.on("error", onClose);
      });
      if (!drained) return false;
    }
  }
  return true;
}
