/** GET /v1/audit served on a loopback port by the handler the daemon mounts. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createAuditHandler, fromCsvRecord, type AuditEntry } from "../../src/audit/index.js";
import { SAMPLE_EVENTS, csvRecords, fileLines, tempDir, writeLog } from "./helpers.js";

let server: Server;
let base: string;
let file: string;
let cleanup: () => void;
let entries: AuditEntry[];

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  file = path.join(tmp.dir, "audit", "audit.jsonl");
  // Ends with the second cycle's leader-lost and daemon-stop, the newest entries (see "relative times").
  entries = await writeLog(file, SAMPLE_EVENTS.length + 15, { maxBytes: 4096 });
  const handler = createAuditHandler({ file, now: () => new Date("2026-05-01T12:00:30.000Z") });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  cleanup();
});

describe("GET /v1/audit", () => {
  it("returns the whole log as JSON Lines by default, rotated files first", async () => {
    const res = await fetch(`${base}/v1/audit`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/jsonl; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const lines = (await res.text()).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.action !== "log-rotated")).toEqual(entries);
    expect(lines.slice(-fileLines(file).length)).toEqual(fileLines(file));
  });

  it("filters by since/until and answers CSV with a header row", async () => {
    const res = await fetch(`${base}/v1/audit?since=2026-05-01T12:00:10Z&until=2026-05-01T12:00:13Z&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="sealsync-audit.csv"');
    const rows = csvRecords(await res.text()).map(fromCsvRecord);
    expect(rows.map((e) => e.ts)).toEqual(["2026-05-01T12:00:10.000Z", "2026-05-01T12:00:11.000Z", "2026-05-01T12:00:12.000Z"]);
  });

  it("accepts relative times, kinds and actions", async () => {
    const res = await fetch(`${base}/v1/audit?since=5s&format=json&action=daemon-stop&action=leader-lost`);
    const got = (await res.json()) as AuditEntry[];
    const all = (await (await fetch(`${base}/v1/audit`)).text()).trim().split("\n").map((l) => JSON.parse(l) as AuditEntry);
    const expected = all.filter((e) => e.ts >= "2026-05-01T12:00:25.000Z" && ["daemon-stop", "leader-lost"].includes(e.action));
    expect(expected.length).toBeGreaterThan(0);
    expect(got).toEqual(expected);
    const secrets = (await (await fetch(`${base}/v1/audit?kind=Secret&format=json`)).json()) as AuditEntry[];
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.every((e) => "kind" in e && e.kind === "Secret")).toBe(true);
  });

  it("answers HEAD with the headers only", async () => {
    const res = await fetch(`${base}/v1/audit?format=csv`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await res.text()).toBe("");
  });

  it.each([
    ["?since=yesterday", 'since "yesterday" is not a time: use RFC 3339 (2026-05-01T12:00:00Z), a UTC date (2026-05-01) or a duration ago (500ms, 90s, 1h30m or 7d)'],
    ["?format=xml", 'format "xml" is not supported; use one of jsonl, csv, json'],
    ["?sinse=1h", 'unknown query parameter "sinse"; allowed: since, until, format, kind, action'],
    ["?since=1h&since=2h", 'query parameter "since" is given 2 times; give it once'],
    ["?action=object-deleted", expect.stringContaining('action "object-deleted" is not an audit action')],
  ])("refuses a bad query %s with 400 and says why", async (query, error) => {
    const res = await fetch(`${base}/v1/audit${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ error });
  });

  it("is read-only and lives at one path", async () => {
    const post = await fetch(`${base}/v1/audit`, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await post.json()).toEqual({ error: "the audit log is read-only: use GET" });
    expect((await fetch(`${base}/v1/audits`)).status).toBe(404);
  });
});
