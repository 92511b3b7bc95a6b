/** `sealsync audit export | verify | tail`, spawned from the build: {exitCode, stdout, stderr} together. */
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AuditLog, fromCsvRecord, type AuditEntry } from "../../src/audit/index.js";
import { repoRoot } from "../env/assets.js";
import { run } from "../env/run.js";
import { csvRecords, fileLines, sampleEvent, tempDir, writeFileLines, writeLog } from "./helpers.js";

const CLI = path.join(repoRoot, "dist/cli/sealsync.js");
const sealsync = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [CLI, ...args], { env: { SEALSYNC_DATA_DIR: "", ...env } });

let dir: string;
let cleanup: () => void;
let file: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, "audit", "audit.jsonl");
});
afterEach(() => cleanup());

describe("help", () => {
  it("lists the audit commands, each with an example", () => {
    const audit = sealsync(["audit", "--help"]);
    expect(audit.exitCode).toBe(0);
    expect(audit.stdout).toMatch(/export \[options\][\s\S]*verify \[options\][\s\S]*tail \[options\]/);
    for (const cmd of ["export", "verify", "tail"]) {
      const res = sealsync(["audit", cmd, "--help"]);
      expect(res).toMatchObject({ exitCode: 0, stderr: "" });
      expect(res.stdout).toContain(`Usage: sealsync audit ${cmd} [options]`);
      expect(res.stdout).toMatch(/Examples?:\n {2}\$ sealsync audit /);
      expect(res.stdout).toContain("Exit status:");
    }
  });
});

describe("audit verify", () => {
  it("reports an intact log on stdout; the default log is found under --data-dir or SEALSYNC_DATA_DIR", async () => {
    const entries = await writeLog(file, 40, { maxBytes: 2048, maxFiles: 0 });
    const total = fileLines(file).length > 0 ? (JSON.parse(fileLines(file).at(-1) as string) as AuditEntry).seq : 0;
    const expected = {
      exitCode: 0,
      stdout: `${total} entries, chain intact from #1 (${entries[0]?.ts}) to #${total} (${entries.at(-1)?.ts})\n`,
      stderr: "",
    };
    expect(sealsync(["audit", "verify", "--log", file])).toEqual(expected);
    expect(sealsync(["audit", "verify", "--data-dir", dir])).toEqual(expected);
    expect(sealsync(["audit", "verify"], { SEALSYNC_DATA_DIR: dir })).toEqual(expected);
  });

  it("names the first broken entry and why, exit 1", async () => {
    await writeLog(file, 10);
    const lines = fileLines(file);
    lines[5] = JSON.stringify({ ...(JSON.parse(lines[5] as string) as object), name: "swapped-in" });
    writeFileLines(file, lines);
    expect(sealsync(["audit", "verify", "--log", file])).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `error: entry #6 (${file}:6): edited: its SHA-256 no longer matches the prev link stored in entry #7 (${file}:7)\n5 entries verified before it\n`,
    });
  });

  it("reports a truncated tail, which the writer repairs on open", async () => {
    await writeLog(file, 5);
    appendFileSync(file, '{"seq":6,"ts":"2026-05');
    const broken = sealsync(["audit", "verify", "--log", file]);
    expect(broken).toMatchObject({ exitCode: 1, stdout: "" });
    expect(broken.stderr).toContain(`error: ${file}:6: truncated: the last line (22 bytes) has no newline`);
    await (await AuditLog.open({ file })).close();
    expect(sealsync(["audit", "verify", "--log", file])).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^6 entries, chain intact from #1/) });
  });

  it("checks signatures with --hmac-key-file", async () => {
    const keyFile = path.join(dir, "hmac.key");
    writeFileSync(keyFile, "c2VhbHN5bmMtYXVkaXQta2V5LWZvci10ZXN0cw==\n");
    await writeLog(file, 4, { hmacKey: Buffer.from("c2VhbHN5bmMtYXVkaXQta2V5LWZvci10ZXN0cw==") });
    expect(sealsync(["audit", "verify", "--log", file, "--hmac-key-file", keyFile])).toMatchObject({
      exitCode: 0, stdout: expect.stringMatching(/^4 entries, chain intact from #1 \(.*\) to #4 \(.*\), signatures verified\n$/), stderr: "",
    });
    expect(sealsync(["audit", "verify", "--log", file])).toMatchObject({
      exitCode: 0, stderr: "note: the entries are signed, but no --hmac-key-file was given, so the signatures were not checked\n",
    });
    const otherKey = path.join(dir, "other.key");
    writeFileSync(otherKey, "another-key-that-is-long-enough");
    expect(sealsync(["audit", "verify", "--log", file, "--hmac-key-file", otherKey])).toMatchObject({
      exitCode: 1, stdout: "", stderr: expect.stringContaining(`entry #1 (${file}:1): bad signature: its MAC does not match the key`),
    });
    // The key material never shows, even when it is refused.
    writeFileSync(otherKey, "short-k3y");
    const short = sealsync(["audit", "verify", "--log", file, "--hmac-key-file", otherKey]);
    expect(short).toEqual({ exitCode: 2, stdout: "", stderr: `error: the audit HMAC key in ${otherKey} is 9 bytes; at least 16 are needed: create one with \`head -c 32 /dev/urandom | base64 > FILE\`\n` });
    expect(sealsync(["audit", "verify", "--log", file, "--hmac-key-file", path.join(dir, "nope")])).toMatchObject({ exitCode: 2, stderr: expect.stringContaining("cannot read the audit HMAC key file") });
  });

  it("says where it looked and what to pass when there is no log, exit 2", () => {
    expect(sealsync(["audit", "verify", "--data-dir", dir])).toEqual({
      exitCode: 2, stdout: "",
      stderr: `error: no audit log at ${file}: pass --log FILE, or --data-dir DIR (env SEALSYNC_DATA_DIR) naming the daemon's data directory\n`,
    });
    expect(sealsync(["audit", "verify", "--log", path.join(dir, "x.jsonl")])).toMatchObject({ exitCode: 2, stderr: `error: no audit log at ${path.join(dir, "x.jsonl")}: check the path given to --log\n` });
    expect(sealsync(["audit", "export", "--log", dir])).toEqual({
      exitCode: 2, stdout: "", stderr: `error: ${dir} is a directory: pass the log file in it, e.g. --log ${path.join(dir, "audit.jsonl")}\n`,
    });
  });
});

describe("audit export", () => {
  it("writes CSV to a file, whole, and says how many entries; the rows parse back to the entries", async () => {
    const entries = await writeLog(file, 20);
    const out = path.join(dir, "audit.csv");
    expect(sealsync(["audit", "export", "--log", file, "--format", "csv", "-o", out])).toEqual({ exitCode: 0, stdout: "", stderr: `exported 20 entries to ${out}\n` });
    expect(csvRecords(readFileSync(out, "utf8")).map(fromCsvRecord)).toEqual(entries);
  });

  it("writes JSON Lines to stdout, filtered", async () => {
    const entries = await writeLog(file, 28);
    const res = sealsync(["audit", "export", "--data-dir", dir, "--kind", "Secret", "--action", "object-created", "--since", "2026-05-01T12:00:06Z"]);
    expect(res).toEqual({
      exitCode: 0,
      stdout: entries.filter((e) => e.action === "object-created" && e.ts >= "2026-05-01T12:00:06Z").map((e) => `${JSON.stringify(e)}\n`).join(""),
      stderr: "",
    });
    expect(res.stdout.split("\n")).toHaveLength(2);
  });

  it("refuses bad arguments with exit 2 and a way out", async () => {
    await writeLog(file, 2);
    expect(sealsync(["audit", "export", "--log", file, "--until", "soon"])).toEqual({
      exitCode: 2, stdout: "",
      stderr: 'error: --until "soon" is not a time: use RFC 3339 (2026-05-01T12:00:00Z), a UTC date (2026-05-01) or a duration ago (500ms, 90s, 1h30m or 7d)\n',
    });
    const format = sealsync(["audit", "export", "--log", file, "--format", "xml"]);
    expect(format).toMatchObject({ exitCode: 2, stdout: "" });
    expect(format.stderr).toContain("error: option '--format <format>' argument 'xml' is invalid. Allowed choices are jsonl, csv, json.");
    expect(sealsync(["audit", "export", "--log", file, "-o", path.join(dir, "no/such/dir/out.csv")])).toMatchObject({
      exitCode: 2, stderr: expect.stringContaining("check that its directory exists and is writable"),
    });
  });

  it("passes over a damaged line with a warning that points to verify", async () => {
    await writeLog(file, 3);
    const lines = fileLines(file);
    lines[1] = "damaged";
    writeFileLines(file, lines);
    const res = sealsync(["audit", "export", "--log", file]);
    expect(res).toEqual({
      exitCode: 0,
      stdout: `${lines[0]}\n${lines[2]}\n`,
      stderr: `warning: skipped ${file}:2: not valid JSON\nwarning: run \`sealsync audit verify\` to check the log's integrity\n`,
    });
  });
});

describe("audit tail", () => {
  it("prints the last entries, one line each", async () => {
    await writeLog(file, 15);
    const res = sealsync(["audit", "tail", "--log", file, "-n", "2"]);
    expect(res).toEqual({
      exitCode: 0,
      stdout: "2026-05-01T12:00:13.000Z #14 leader-lost identity=shop-7d9f-abc lease=sealsync\n2026-05-01T12:00:14.000Z #15 daemon-stop reason=SIGTERM identity=shop-7d9f-abc\n",
      stderr: "",
    });
    expect(sealsync(["audit", "tail", "--log", file, "-n", "1", "--action", "rejected"]).stdout).toBe(
      '2026-05-01T12:00:08.000Z #9 rejected Secret/kube-system/x rule=namespace revision=3f2c9a1b7e6d file=apps/other.yaml document=2 message="namespace kube-system is not ours (shop)"\n',
    );
    expect(sealsync(["audit", "tail", "--log", file, "-n", "many"])).toMatchObject({ exitCode: 2, stderr: expect.stringContaining("expected a whole number") });
  });

  it("--follow prints new entries until interrupted", async () => {
    await writeLog(file, 2);
    const child = spawn(process.execPath, [CLI, "audit", "tail", "--log", file, "-n", "1", "--follow"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 250 && stdout.split("\n").length - 1 < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(1);
    const log = await AuditLog.open({ file });
    await log.append(sampleEvent(5));
    await log.append(sampleEvent(6));
    await log.close();
    await waitFor(3);
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGINT");
    expect(await exit).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\S+ #2 leader-acquired /);
    expect(lines[1]).toMatch(/^\S+ #3 object-created Secret\/shop\/db /);
    expect(lines[2]).toMatch(/^\S+ #4 object-configured Deployment\.apps\/shop\/web /);
    expect(stderr).toBe("");
  });
});
