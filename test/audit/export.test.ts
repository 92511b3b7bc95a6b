/** export: JSON Lines (exact lines), CSV that round-trips to the same entries, a JSON array; filters. */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { readFileSync } from "node:fs";
import {
  buildFilter,
  CSV_COLUMNS,
  exportChunks,
  expandLogFiles,
  fromCsvRecord,
  parseTime,
  readEntries,
  AuditQueryError,
  type AuditEntry,
  type ExportOptions,
} from "../../src/audit/index.js";
import { csvRecords, parseCsv, SAMPLE_EVENTS, tempDir, writeLog } from "./helpers.js";

let dir: string;
let cleanup: () => void;
let file: string;
let entries: AuditEntry[];
beforeEach(async () => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, "audit.jsonl");
  entries = await writeLog(file, SAMPLE_EVENTS.length * 2, { hmacKey: Buffer.alloc(32, 1), maxBytes: 4096 });
});
afterEach(() => cleanup());

async function exportText(opts: ExportOptions): Promise<string> {
  let text = "";
  for await (const chunk of exportChunks(readEntries(await expandLogFiles([file])), opts)) text += chunk;
  return text;
}

const withoutMarkers = (list: AuditEntry[]) => list.filter((e) => e.action !== "log-rotated");

describe("formats", () => {
  it("jsonl is the log's own lines, rotated files included", async () => {
    const files = await expandLogFiles([file]);
    expect(files.length).toBeGreaterThan(1);
    expect(await exportText({ format: "jsonl" })).toBe(files.map((f) => readFileSync(f, "utf8")).join(""));
  });

  it("csv has a header row and round-trips: parsed rows equal the entries", async () => {
    const csv = await exportText({ format: "csv" });
    expect(csv.startsWith("\uFEFFseq,ts,action,revision,kind,group,namespace,name,")).toBe(true);
    expect(parseCsv(csv)[0]).toEqual([...CSV_COLUMNS]);
    const parsed = csvRecords(csv).map(fromCsvRecord);
    expect(withoutMarkers(parsed)).toEqual(entries);
    // Markers too: the CSV holds the whole chain.
    const jsonl = (await exportText({ format: "jsonl" })).trim().split("\n").map((l) => JSON.parse(l) as AuditEntry);
    expect(parsed).toEqual(jsonl);
  });

  it("csv guards cells a spreadsheet would run as a formula, and un-guards them on the way back", async () => {
    const csv = await exportText({ format: "csv", bom: false });
    expect(csv.startsWith("seq,")).toBe(true);
    const row = csvRecords(csv).find((r) => r.action === "sync-started");
    expect(row?.subject).toBe("'=HYPERLINK(\"http://x\",\"add db creds\")");
    expect(row?.author).toBe("José Núñez <jose@example.com>");
  });

  it("json is one array of the entries", async () => {
    expect(JSON.parse(await exportText({ format: "json" }))).toEqual(
      (await exportText({ format: "jsonl" })).trim().split("\n").map((l) => JSON.parse(l) as unknown),
    );
    expect(await exportText({ format: "json", filter: { actions: ["leader-lost"], since: new Date("2030-01-01") } })).toBe("[]\n");
  });

  it("csv of nothing is the header row alone", async () => {
    expect(await exportText({ format: "csv", bom: false, filter: { kinds: ["NoSuchKind"] } })).toBe(`${CSV_COLUMNS.join(",")}\n`);
  });
});

describe("filters", () => {
  const now = new Date("2026-05-01T12:01:00.000Z");
  const select = async (args: Parameters<typeof buildFilter>[0]) =>
    (await exportText({ format: "jsonl", filter: buildFilter(args, { since: "--since", until: "--until", action: "--action" }, now) }))
      .trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);

  it("by time window: since inclusive, until exclusive; relative times count back from now", async () => {
    const got = await select({ since: "2026-05-01T12:00:05Z", until: "2026-05-01T12:00:08Z" });
    expect(got.map((e) => e.ts)).toEqual(["2026-05-01T12:00:05.000Z", "2026-05-01T12:00:06.000Z", "2026-05-01T12:00:07.000Z"]);
    expect((await select({ since: "10s" })).map((e) => e.ts)).toEqual(
      entries.filter((e) => e.ts >= "2026-05-01T12:00:50.000Z").map((e) => e.ts),
    );
  });

  it("by kind (case-insensitive) and by action (repeated or comma-separated)", async () => {
    const secrets = await select({ kind: ["secret"] });
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.every((e) => "kind" in e && e.kind === "Secret")).toBe(true);
    const some = await select({ action: ["object-created,object-pruned", "drift-corrected"] });
    expect(new Set(some.map((e) => e.action))).toEqual(new Set(["object-created", "object-pruned", "drift-corrected"]));
    expect(some).toHaveLength(6);
  });

  it("says how to write a time or an action when one is wrong", () => {
    expect(() => parseTime("yesterday", "--since")).toThrow(AuditQueryError);
    expect(() => parseTime("yesterday", "--since")).toThrow(/--since "yesterday" is not a time: use RFC 3339/);
    expect(parseTime("2026-05-01", "--since")).toEqual(new Date("2026-05-01T00:00:00Z"));
    expect(parseTime("2026-05-01T14:00:00+02:00", "--since")).toEqual(new Date("2026-05-01T12:00:00Z"));
    expect(() => buildFilter({ action: ["object-deleted"] }, { since: "s", until: "u", action: "--action" })).toThrow(/--action "object-deleted" is not an audit action; use one of: daemon-start/);
    expect(() => buildFilter({ since: "1h", until: "2h" }, { since: "--since", until: "--until", action: "a" })).toThrow(/--since must be before --until/);
  });
});
