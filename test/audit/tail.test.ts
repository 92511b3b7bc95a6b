/** tail: one readable line per entry, and following a live log across rotations. */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { statSync } from "node:fs";
import path from "node:path";
import { AuditLog, followLog, formatEntry, type AuditEntry } from "../../src/audit/index.js";
import { sampleEvent, tempDir, tickingClock, writeLog } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

describe("formatEntry", () => {
  it("prints time, seq, action, subject and the other fields, quoting anything that is not plain", async () => {
    const entries = await writeLog(path.join(dir, "a.jsonl"), 14);
    const lines = entries.map(formatEntry);
    expect(lines[0]).toBe("2026-05-01T12:00:00.000Z #1 daemon-start version=0.1.0 namespace=shop identity=shop-7d9f-abc pid=1");
    expect(lines[3]).toBe(
      '2026-05-01T12:00:03.000Z #4 sync-started revision=3f2c9a1b7e6d ref=refs/heads/main trigger=timer author="José Núñez <jose@example.com>" ' +
        'committer="CI Bot <ci@example.com>" commitTime=2026-05-01T11:59:00Z subject="=HYPERLINK(\\"http://x\\",\\"add db creds\\")" signature=verified signer=SHA256:abc',
    );
    expect(lines[5]).toBe("2026-05-01T12:00:05.000Z #6 object-created Secret/shop/db revision=3f2c9a1b7e6d uid=6b1f-4c2e resourceVersion=1201");
    expect(lines[6]).toBe("2026-05-01T12:00:06.000Z #7 object-configured Deployment.apps/shop/web revision=3f2c9a1b7e6d uid=9a8b resourceVersion=1202");
    // A newline in a name cannot start a fake line.
    expect(lines[7]).toBe('2026-05-01T12:00:07.000Z #8 object-pruned "ConfigMap/shop/old, \\"quoted\\"\\nname" revision=3f2c9a1b7e6d uid=77aa');
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
  });
});

describe("followLog", () => {
  it("prints entries as they are appended, across rotations, until aborted", async () => {
    const file = path.join(dir, "audit.jsonl");
    await writeLog(file, 3);
    const seen: AuditEntry[] = [];
    const stop = new AbortController();
    const following = followLog(file, (e) => seen.push(e), { from: statSync(file).size, signal: stop.signal, pollMs: 10 });
    const log = await AuditLog.open({ file, maxBytes: 2048, now: tickingClock() });
    const appended: AuditEntry[] = [];
    for (let i = 0; i < 40; i++) {
      appended.push(await log.append(sampleEvent(i)));
      if (i % 5 === 0) await new Promise((r) => setTimeout(r, 15));
    }
    await log.close();
    for (let waited = 0; seen.filter((e) => e.action !== "log-rotated").length < 40 && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    await following;
    expect(seen.filter((e) => e.action !== "log-rotated")).toEqual(appended);
    expect(seen.some((e) => e.action === "log-rotated")).toBe(true);
  });
});
