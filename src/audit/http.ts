/**
 * `GET /v1/audit?since=&until=&format=jsonl|csv|json&kind=&action=`: the log over HTTP, read-only,
 * for the daemon's server. The answer is streamed from the files (rotated ones included), so it costs
 * no memory per entry; a client that disconnects stops the read.
 */
import { access } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AuditQueryError } from "./errors.js";
import { CONTENT_TYPES, EXPORT_FORMATS, exportChunks, writeChunks, type ExportFormat } from "./export.js";
import { buildFilter, type EntryFilter } from "./filter.js";
import { expandLogFiles } from "./paths.js";
import { readEntries } from "./reader.js";

export const AUDIT_PATH = "/v1/audit";
const PARAMS = ["since", "until", "format", "kind", "action"];

export interface AuditHandlerOptions {
  /** The active log file; its rotated files are found next to it. */
  file: string;
  now?: () => Date;
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = `${JSON.stringify({ error: message })}\n`;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function parseQuery(url: URL, now: Date): { format: ExportFormat; filter: EntryFilter } {
  const unknown = [...url.searchParams.keys()].find((key) => !PARAMS.includes(key));
  if (unknown !== undefined) throw new AuditQueryError(`unknown query parameter "${unknown.slice(0, 40)}"; allowed: ${PARAMS.join(", ")}`);
  const single = (name: string) => {
    const values = url.searchParams.getAll(name);
    if (values.length > 1) throw new AuditQueryError(`query parameter "${name}" is given ${values.length} times; give it once`);
    return values[0];
  };
  const format = single("format") ?? "jsonl";
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new AuditQueryError(`format "${format.slice(0, 20)}" is not supported; use one of ${EXPORT_FORMATS.join(", ")}`);
  }
  const since = single("since");
  const until = single("until");
  const filter = buildFilter(
    { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }), kind: url.searchParams.getAll("kind"), action: url.searchParams.getAll("action") },
    { since: "since", until: "until", action: "action" },
    now,
  );
  return { format: format as ExportFormat, filter };
}

/** A request handler answering GET/HEAD on /v1/audit (404 elsewhere), to mount in the daemon's server. */
export function createAuditHandler(opts: AuditHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== AUDIT_PATH) return sendError(res, 404, `not found; the audit log is at ${AUDIT_PATH}`);
    if (req.method !== "GET" && req.method !== "HEAD") return sendError(res, 405, "the audit log is read-only: use GET", { allow: "GET, HEAD" });
    let query: { format: ExportFormat; filter: EntryFilter };
    try {
      query = parseQuery(url, opts.now?.() ?? new Date());
    } catch (err) {
      if (err instanceof AuditQueryError) return sendError(res, 400, err.message);
      throw err;
    }
    const files: string[] = [];
    try {
      for (const file of await expandLogFiles([opts.file])) {
        if (await access(file).then(() => true, () => false)) files.push(file);
      }
    } catch (err) {
      return sendError(res, 500, `cannot list the audit log files (${(err as NodeJS.ErrnoException).code ?? "error"}); see the daemon's log`);
    }
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[query.format],
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...(query.format === "csv" ? { "content-disposition": 'attachment; filename="sealsync-audit.csv"' } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    try {
      const done = await writeChunks(exportChunks(readEntries(files), { format: query.format, filter: query.filter }), res);
      if (done) res.end();
    } catch (err) {
      // Headers are gone; cutting the connection is the only honest signal left.
      res.destroy(err as Error);
    }
  };
}
