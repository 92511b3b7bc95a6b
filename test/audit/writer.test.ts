/** The writer: entries as written, concurrent appends, the redaction guard, rotation, crash-tail repair. */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { appendFileSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import {
  AuditLog,
  AuditSchemaError,
  AuditStateError,
  verifyLog,
  expandLogFiles,
  type AuditEvent,
  type FsyncPolicy,
} from "../../src/audit/index.js";
import { fileLines, sampleEvent, SAMPLE_EVENTS, tempDir, tickingClock, writeLog } from "./helpers.js";

let dir: string;
let cleanup: () => void;
let file: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, "audit", "audit.jsonl");
});
afterEach(() => cleanup());

const verifyAll = async (f = file, hmacKey?: Buffer) => verifyLog(await expandLogFiles([f]), hmacKey ? { hmacKey } : {});

describe("append", () => {
  it("writes one canonical JSON line per entry, numbered from 1 and linked by SHA-256 of the previous line", async () => {
    const entries = await writeLog(file, 3);
    const lines = fileLines(file);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => JSON.parse(l))).toEqual(entries);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]).toEqual({
      seq: 1, ts: "2026-05-01T12:00:00.000Z", action: "daemon-start", version: "0.1.0", namespace: "shop", identity: "shop-7d9f-abc", pid: 1, prev: null,
    });
    const { createHash } = await import("node:crypto");
    expect(entries[1]?.prev).toBe(createHash("sha256").update(lines[0] as string).digest("hex"));
    expect(lines[0]).toBe('{"seq":1,"ts":"2026-05-01T12:00:00.000Z","action":"daemon-start","version":"0.1.0","namespace":"shop","identity":"shop-7d9f-abc","pid":1,"prev":null}');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o750);
  });

  it("continues the chain after reopening", async () => {
    await writeLog(file, 2);
    const log = await AuditLog.open({ file });
    expect(log.lastSeq).toBe(2);
    const entry = await log.append(sampleEvent(5));
    await log.close();
    expect(entry.seq).toBe(3);
    expect(await verifyAll()).toMatchObject({ ok: true, entries: 3 });
  });

  it.each<FsyncPolicy>(["always", "batch", "interval", "never"])("serializes 200 concurrent appends in call order (fsync %s)", async (fsync) => {
    const log = await AuditLog.open({ file, fsync, fsyncIntervalMs: 5 });
    const written = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append({ ...sampleEvent(6), name: `obj-${i}` } as AuditEvent)));
    await log.close();
    expect(written.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(written.map((e) => ("name" in e ? e.name : ""))).toEqual(Array.from({ length: 200 }, (_, i) => `obj-${i}`));
    expect(fileLines(file).map((l) => JSON.parse(l))).toEqual(written);
    expect(await verifyAll()).toMatchObject({ ok: true, entries: 200 });
  });

  it("rejects appends after close, and a second writer on the same file", async () => {
    const log = await AuditLog.open({ file });
    await expect(AuditLog.open({ file })).rejects.toThrow(AuditStateError);
    await log.close();
    await expect(log.append(sampleEvent(0))).rejects.toThrow(/is closed/);
    const again = await AuditLog.open({ file });
    await again.close();
  });

  it("mirrors each line to the stdout stream after it is in the file", async () => {
    const out = new PassThrough();
    let mirrored = "";
    out.on("data", (chunk: Buffer) => (mirrored += chunk.toString()));
    const log = await AuditLog.open({ file, stdout: out });
    await log.append(sampleEvent(0));
    await log.append(sampleEvent(1));
    await log.close();
    expect(mirrored).toBe(readFileSync(file, "utf8"));
  });
});

describe("redaction guard", () => {
  const CANARY = "canary-Zx81-s3cr3t-do-not-log";

  it("drops fields outside the schema, names them (never their values), and the canary never reaches the file", async () => {
    const stripped: string[][] = [];
    const out = new PassThrough();
    let mirrored = "";
    out.on("data", (chunk: Buffer) => (mirrored += chunk.toString()));
    const log = await AuditLog.open({ file, stdout: out, onStripped: (action, fields) => stripped.push([action, ...fields]) });
    const sneaky = {
      action: "object-configured", group: "", kind: "Secret", namespace: "shop", name: "db", revision: "abc",
      value: CANARY, data: { password: CANARY }, stringData: [CANARY], seq: 99, prev: CANARY, mac: CANARY,
    } as unknown as AuditEvent;
    const entry = await log.append(sneaky);
    await log.close();
    expect(entry).toEqual({ seq: 1, ts: entry.ts, action: "object-configured", group: "", kind: "Secret", namespace: "shop", name: "db", revision: "abc", prev: null });
    expect(stripped).toEqual([["object-configured", "value", "data", "stringData", "seq", "prev", "mac"]]);
    expect(readFileSync(file, "utf8")).not.toContain(CANARY);
    expect(mirrored).not.toContain(CANARY);
  });

  it("refuses a mistyped or missing schema field without echoing the value", async () => {
    const log = await AuditLog.open({ file });
    const bad = [
      { action: "decrypted", file: "a.yaml", document: CANARY, format: "sops", keyId: "k" },
      { action: "decrypted", file: "a.yaml", document: 0, format: CANARY, keyId: "k" },
      { action: "object-created", kind: "Secret", namespace: "shop", name: { nested: CANARY }, revision: "r", group: "" },
      { action: "object-created", kind: "Secret", namespace: "shop", revision: "r", group: "" },
      { action: CANARY },
      { action: "log-rotated", previousFile: "x" },
    ];
    for (const event of bad) {
      const err = await log.append(event as unknown as AuditEvent).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AuditSchemaError);
      expect((err as Error).message).not.toContain(CANARY);
    }
    expect(await log.append(sampleEvent(0))).toMatchObject({ seq: 1 });
    await log.close();
  });

  it("drops empty optional strings and cuts very long strings", async () => {
    const log = await AuditLog.open({ file });
    const entry = await log.append({ action: "sync-failed", reason: "FetchFailed", revision: "", message: "x".repeat(5000) });
    await log.close();
    expect(entry).not.toHaveProperty("revision");
    expect("message" in entry && entry.message).toHaveLength(2048);
  });
});

describe("rotation", () => {
  it("starts a new file whose first entry links to the last entry of the previous one", async () => {
    const entries = await writeLog(file, 60, { maxBytes: 4096, maxFiles: 0 });
    const rotated = readdirSync(path.dirname(file)).filter((n) => n !== "audit.jsonl").sort();
    expect(rotated.length).toBeGreaterThanOrEqual(3);
    expect(rotated[0]).toBe("audit.000001.jsonl");
    const files = await expandLogFiles([file]);
    expect(files.map((f) => path.basename(f))).toEqual([...rotated, "audit.jsonl"]);
    for (const [i, f] of files.entries()) {
      expect(statSync(f).size).toBeLessThanOrEqual(4096);
      const first = JSON.parse(fileLines(f)[0] as string) as { action: string; previousFile?: string };
      if (i === 0) expect(first.action).toBe("daemon-start");
      else expect(first).toMatchObject({ action: "log-rotated", previousFile: path.basename(files[i - 1] as string) });
    }
    // Every caller entry is there, in order, with the rotation markers between.
    const all = files.flatMap((f) => fileLines(f).map((l) => JSON.parse(l) as { action: string }));
    expect(all.filter((e) => e.action !== "log-rotated")).toEqual(entries);
    expect(await verifyAll()).toMatchObject({ ok: true, entries: all.length, startsAfterRotation: false });
  });

  it("keeps maxFiles rotated files; the log then verifies from the oldest kept file", async () => {
    await writeLog(file, 80, { maxBytes: 2048, maxFiles: 2 });
    const names = readdirSync(path.dirname(file)).sort();
    expect(names).toHaveLength(3);
    expect(names).not.toContain("audit.000001.jsonl");
    const result = await verifyAll();
    expect(result).toMatchObject({ ok: true, startsAfterRotation: true });
  });

  it("continues after a rotation interrupted between the rename and the new file", async () => {
    await writeLog(file, 5);
    const { renameSync } = await import("node:fs");
    renameSync(file, path.join(path.dirname(file), "audit.000001.jsonl"));
    const log = await AuditLog.open({ file, now: tickingClock() });
    const entry = await log.append(sampleEvent(0));
    await log.close();
    expect(fileLines(file).map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(["log-rotated", "daemon-start"]);
    expect(entry.seq).toBe(7);
    expect(await verifyAll()).toMatchObject({ ok: true, entries: 7 });
  });
});

describe("crash tail repair on open", () => {
  it("cuts a truncated final line, records the repair, and keeps every earlier entry", async () => {
    const entries = await writeLog(file, 4);
    const partial = fileLines(file)[1]?.slice(0, 37) as string;
    appendFileSync(file, partial);
    expect(await verifyAll()).toMatchObject({ ok: false, reason: "truncated", line: 5, entries: 4 });
    const log = await AuditLog.open({ file, now: tickingClock() });
    expect(log.repaired).toEqual({ droppedBytes: 37 });
    await log.close();
    const lines = fileLines(file).map((l) => JSON.parse(l) as object);
    expect(lines.slice(0, 4)).toEqual(entries);
    expect(lines[4]).toMatchObject({ seq: 5, action: "log-repaired", droppedBytes: 37 });
    expect(await verifyAll()).toMatchObject({ ok: true, entries: 5 });
  });

  it("keeps a whole entry that only lost its newline", async () => {
    await writeLog(file, 3);
    const text = readFileSync(file, "utf8");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, text.slice(0, -1));
    const log = await AuditLog.open({ file });
    expect(log.repaired).toBeUndefined();
    expect(log.lastSeq).toBe(3);
    await log.close();
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("refuses to continue a log whose last complete line is not an entry, and says what to do", async () => {
    await writeLog(file, 2);
    appendFileSync(file, "garbage\n");
    await expect(AuditLog.open({ file })).rejects.toThrow(/last complete line of .*audit\.jsonl is not an audit entry.*sealsync audit verify/);
  });
});

describe("HMAC", () => {
  it("signs every entry when a key is given", async () => {
    const key = Buffer.alloc(32, 7);
    const entries = await writeLog(file, SAMPLE_EVENTS.length, { hmacKey: key });
    expect(entries.every((e) => /^[0-9a-f]{64}$/.test(e.mac ?? ""))).toBe(true);
    expect(await verifyAll(file, key)).toMatchObject({ ok: true, signatures: "verified" });
    expect(await verifyAll(file)).toMatchObject({ ok: true, signatures: "unchecked" });
  });
});
