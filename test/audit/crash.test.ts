/**
 * kill -9 during heavy writing: the log verifies, or shows exactly one truncated tail that the writer
 * repairs on open; no entry whose append had resolved is lost. The writer runs from the build (dist/).
 */
import { afterEach, beforeEach, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AuditLog, expandLogFiles, verifyLog, type FsyncPolicy } from "../../src/audit/index.js";
import { repoRoot } from "../env/assets.js";
import { tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const KEY = "crash-test-hmac-key-32-bytes-long";

/** Appends batches of 64 concurrent entries forever, printing the last acknowledged seq after each batch. */
const WRITER = `
const { AuditLog } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, "dist/audit/index.js")).href)});
const [file, fsync, key] = process.argv.slice(1);
const log = await AuditLog.open({ file, fsync, maxBytes: 64 * 1024, maxFiles: 0, hmacKey: Buffer.from(key) });
for (let batch = 0; ; batch++) {
  const written = await Promise.all(Array.from({ length: 64 }, (_, i) => log.append({
    action: "object-configured", group: "", kind: "Secret", namespace: "shop", name: "obj-" + batch + "-" + i,
    revision: "3f2c9a1b7e6d5c4b3a29180716f5e4d3c2b1a098", uid: "u", resourceVersion: String(batch * 64 + i),
  })));
  process.stdout.write(written.at(-1).seq + "\\n");
}
`;

async function killWhileWriting(file: string, fsync: FsyncPolicy): Promise<number> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, file, fsync, KEY], { stdio: ["ignore", "pipe", "pipe"] });
  let acked = 0;
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.on("exit", () => reject(new Error(`writer exited early: ${stderr}`)));
    child.stdout.on("data", (d: Buffer) => {
      const seqs = d.toString().trim().split("\n").map(Number);
      acked = Math.max(acked, ...seqs);
      // Kill once a few rotations have happened, in the middle of writing.
      if (acked > 3000) resolve();
    });
  });
  child.removeAllListeners("exit");
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return acked;
}

it.each<FsyncPolicy>(["never", "batch"])("after kill -9 (fsync %s) the log verifies or has one truncated tail, repaired on open", async (fsync) => {
  const file = path.join(dir, "audit.jsonl");
  const acked = await killWhileWriting(file, fsync);
  const files = await expandLogFiles([file]);
  expect(files.length).toBeGreaterThan(2);
  const before = await verifyLog(files, { hmacKey: Buffer.from(KEY) });
  const activeBefore = readFileSync(file);
  if (!before.ok) {
    // The only damage a kill can do: one incomplete line at the very end of the active file.
    expect(before).toMatchObject({ reason: "truncated", file });
    expect(before.line).toBe(activeBefore.toString().split("\n").length);
  }

  const log = await AuditLog.open({ file, hmacKey: Buffer.from(KEY) });
  expect(log.repaired !== undefined).toBe(!before.ok);
  expect(log.lastSeq).toBeGreaterThanOrEqual(acked);
  await log.close();

  // Nothing before the cut changed.
  const after = readFileSync(file);
  const kept = before.ok ? activeBefore.length : activeBefore.lastIndexOf(0x0a) + 1;
  expect(after.subarray(0, kept).equals(activeBefore.subarray(0, kept))).toBe(true);
  expect(statSync(file).size).toBeGreaterThanOrEqual(kept);
  const result = await verifyLog(await expandLogFiles([file]), { hmacKey: Buffer.from(KEY) });
  expect(result).toMatchObject({ ok: true, signatures: "verified", first: { seq: 1 } });
  expect(result.entries).toBeGreaterThanOrEqual(acked);
});
