/** verify: each kind of tampering is reported at the entry it broke, with the reason; intact logs pass. */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { expandLogFiles, verifyLog, type VerifyResult } from "../../src/audit/index.js";
import { lineHash } from "../../src/audit/chain.js";
import { fileLines, tempDir, writeFileLines, writeLog } from "./helpers.js";

let dir: string;
let cleanup: () => void;
let file: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, "audit.jsonl");
});
afterEach(() => cleanup());

const verify = async (hmacKey?: Buffer): Promise<VerifyResult> => verifyLog(await expandLogFiles([file]), hmacKey ? { hmacKey } : {});
const KEY = Buffer.from("an-audit-hmac-key-of-32-bytes!!!");

/** Re-serializes a line after changing one field, keeping the canonical form (key order, no spaces). */
function editLine(line: string, change: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(line) as object), ...change });
}

describe("an intact log", () => {
  it("verifies, from its first to its last entry", async () => {
    const entries = await writeLog(file, 20);
    expect(await verify()).toEqual({
      ok: true, entries: 20, startsAfterRotation: false, signatures: "none",
      first: { seq: 1, ts: entries[0]?.ts, file, line: 1 },
      last: { seq: 20, ts: entries[19]?.ts, file, line: 20 },
    });
  });

  it("verifies when empty", async () => {
    writeFileLines(file, []);
    expect(await verify()).toEqual({ ok: true, entries: 0, startsAfterRotation: false, signatures: "none" });
  });
});

describe("tampering is found at the right entry", () => {
  it("an edited entry: the next entry's link no longer matches", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines[5] = editLine(lines[5] as string, { name: "other" });
    writeFileLines(file, lines);
    expect(await verify()).toEqual({
      ok: false, entries: 5, reason: "edited", seq: 6, file, line: 6,
      message: `entry #6 (${file}:6): edited: its SHA-256 no longer matches the prev link stored in entry #7 (${file}:7)`,
    });
  });

  it("an edit that leaves the JSON non-canonical is caught on the line itself", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines[9] = (lines[9] as string).replace('"seq":10,', '"seq": 10,');
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: false, reason: "edited", line: 10, entries: 9 });
  });

  it("a deleted entry", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines.splice(3, 1);
    writeFileLines(file, lines);
    expect(await verify()).toEqual({
      ok: false, entries: 3, reason: "missing", seq: 4, file, line: 4,
      message: `${file}:4: missing: entry #4 is missing between entry #3 (${file}:3) and entry #5 (${file}:4)`,
    });
  });

  it("several deleted entries", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines.splice(3, 3);
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: false, reason: "missing", seq: 4, message: expect.stringContaining("entries #4–#6 are missing") });
  });

  it("deleted first entries", async () => {
    await writeLog(file, 10);
    writeFileLines(file, fileLines(file).slice(2));
    expect(await verify()).toMatchObject({ ok: false, reason: "missing", seq: 1, line: 1, message: expect.stringContaining("entries #1–#2 are missing") });
  });

  it("two entries swapped", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    [lines[4], lines[5]] = [lines[5] as string, lines[4] as string];
    writeFileLines(file, lines);
    expect(await verify()).toEqual({
      ok: false, entries: 4, reason: "reordered", seq: 6, file, line: 5,
      message: `entry #6 (${file}:5): reordered: it comes before entry #5 (${file}:6)`,
    });
  });

  it("a duplicated entry", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines.splice(7, 0, lines[6] as string);
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: false, reason: "reordered", seq: 7, line: 8, entries: 7 });
  });

  it("a truncated last line", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines[9] = (lines[9] as string).slice(0, 50);
    writeFileLines(file, lines, false);
    expect(await verify()).toMatchObject({
      ok: false, entries: 9, reason: "truncated", line: 10,
      message: expect.stringContaining("truncated: the last line (50 bytes) has no newline"),
    });
  });

  it("a damaged line in the middle", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines[2] = "{not json";
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: false, entries: 2, reason: "edited", line: 3, message: `${file}:3: edited: the line (after entry #2) is not valid JSON` });
  });

  it("a field outside the schema added to an entry", async () => {
    await writeLog(file, 4);
    const lines = fileLines(file);
    lines[1] = (lines[1] as string).replace(',"prev"', ',"value":"x","prev"');
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: false, reason: "edited", line: 2, message: expect.stringContaining('unexpected field "value"') });
  });

  it("a whole rotated file removed", async () => {
    await writeLog(file, 60, { maxBytes: 2048, maxFiles: 0 });
    const rotated = readdirSync(dir).filter((n) => n !== "audit.jsonl").sort();
    const removed = path.join(dir, rotated[1] as string);
    const firstRemoved = JSON.parse(fileLines(removed)[0] as string) as { seq: number };
    rmSync(removed);
    expect(await verify()).toMatchObject({ ok: false, reason: "missing", seq: firstRemoved.seq, file: path.join(dir, rotated[2] as string), line: 1 });
  });
});

describe("HMAC signatures", () => {
  it("an edited last entry passes the chain check alone, but not the signature check", async () => {
    await writeLog(file, 6, { hmacKey: KEY });
    const lines = fileLines(file);
    lines[5] = editLine(lines[5] as string, { name: "not-what-was-applied" });
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: true, signatures: "unchecked" });
    expect(await verify(KEY)).toMatchObject({ ok: false, reason: "bad-signature", seq: 6, line: 6, entries: 5 });
  });

  it("a chain rebuilt without the key verifies without the key and fails with it", async () => {
    await writeLog(file, 10, { hmacKey: KEY });
    const lines = fileLines(file);
    lines[3] = editLine(lines[3] as string, { subject: "an innocent commit" });
    // Relink every later entry, as someone who can write the file but lacks the key would.
    for (let i = 4; i < lines.length; i++) lines[i] = editLine(lines[i] as string, { prev: lineHash(lines[i - 1] as string) });
    writeFileLines(file, lines);
    expect(await verify()).toMatchObject({ ok: true, entries: 10 });
    expect(await verify(KEY)).toMatchObject({ ok: false, reason: "bad-signature", seq: 4, line: 4, entries: 3 });
  });

  it("another key fails at the first entry, and so does an unsigned log", async () => {
    await writeLog(file, 3, { hmacKey: KEY });
    expect(await verify(Buffer.from("some-other-key-of-sufficient-len"))).toMatchObject({ ok: false, reason: "bad-signature", seq: 1, message: expect.stringContaining("does not match the key") });
    await writeLog(path.join(dir, "unsigned.jsonl"), 3);
    expect(await verifyLog([path.join(dir, "unsigned.jsonl")], { hmacKey: KEY })).toMatchObject({ ok: false, reason: "bad-signature", seq: 1, message: expect.stringContaining("not signed") });
  });
});

describe("property", () => {
  type Tamper = { op: "edit" | "delete" | "swap" | "truncate"; at: number };
  const runs = process.env.SLOW ? 200 : 25;

  it("any single tampering of a log is reported at the entry it broke", async () => {
    const count = 12;
    await writeLog(path.join(dir, "pristine.jsonl"), count);
    const pristine = fileLines(path.join(dir, "pristine.jsonl"));
    await fc.assert(
      fc.asyncProperty(
        fc.record({ op: fc.constantFrom<Tamper["op"]>("edit", "delete", "swap", "truncate"), at: fc.integer({ min: 0, max: count - 2 }) }),
        async ({ op, at }: Tamper) => {
          const lines = [...pristine];
          let expected: Partial<VerifyResult>;
          switch (op) {
            case "edit":
              lines[at] = editLine(lines[at] as string, { ts: "2020-01-01T00:00:00.000Z" });
              expected = { reason: "edited", seq: at + 1, line: at + 1 };
              break;
            case "delete":
              lines.splice(at, 1);
              expected = { reason: "missing", seq: at + 1, line: at + 1 };
              break;
            case "swap":
              [lines[at], lines[at + 1]] = [lines[at + 1] as string, lines[at] as string];
              expected = { reason: "reordered", seq: at + 2, line: at + 1 };
              break;
            case "truncate":
              lines.splice(at + 1);
              lines[at] = (lines[at] as string).slice(0, 20 + at);
              expected = { reason: "truncated", line: at + 1 };
              break;
          }
          writeFileLines(file, lines, op !== "truncate");
          expect(await verify()).toMatchObject({ ok: false, entries: at, ...expected });
        },
      ),
      { numRuns: runs },
    );
  });
});
