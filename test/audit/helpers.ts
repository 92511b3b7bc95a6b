/** Shared fixtures for the audit tests: temp dirs, a clock, one event of every caller action, raw line edits, a CSV reader. */
import { parse } from "csv-parse/sync";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AuditLog, type AuditEntry, type AuditEvent, type AuditLogOptions } from "../../src/audit/index.js";

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "sealsync-audit-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock that starts at a fixed time and ticks one second per reading. */
export function tickingClock(start = Date.parse("2026-05-01T12:00:00.000Z")): () => Date {
  let t = start - 1000;
  return () => new Date((t += 1000));
}

const REV = "3f2c9a1b7e6d5c4b3a29180716f5e4d3c2b1a098";

/** One event of each caller action, with the fields the daemon will fill. */
export const SAMPLE_EVENTS: AuditEvent[] = [
  { action: "daemon-start", version: "0.1.0", namespace: "shop", identity: "shop-7d9f-abc", pid: 1 },
  { action: "leader-acquired", identity: "shop-7d9f-abc", lease: "sealsync" },
  { action: "key-reload", keys: 2, source: "/etc/sealsync/keys", keyIds: "age1qyqszqgpqyqszqgp,sha256:1f2e" },
  {
    action: "sync-started", revision: REV, ref: "refs/heads/main", trigger: "timer", author: "José Núñez <jose@example.com>",
    committer: "CI Bot <ci@example.com>", commitTime: "2026-05-01T11:59:00Z", subject: "=HYPERLINK(\"http://x\",\"add db creds\")",
    signature: "verified", signer: "SHA256:abc",
  },
  { action: "decrypted", file: "apps/db/secret.sops.yaml", document: 0, format: "sops", keyId: "age1qyqszqgpqyqszqgp", revision: REV, kind: "Secret", namespace: "shop", name: "db" },
  { action: "object-created", group: "", kind: "Secret", namespace: "shop", name: "db", revision: REV, uid: "6b1f-4c2e", resourceVersion: "1201" },
  { action: "object-configured", group: "apps", kind: "Deployment", namespace: "shop", name: "web", revision: REV, uid: "9a8b", resourceVersion: "1202" },
  { action: "object-pruned", group: "", kind: "ConfigMap", namespace: "shop", name: "old, \"quoted\"\nname", revision: REV, uid: "77aa" },
  { action: "rejected", rule: "namespace", revision: REV, file: "apps/other.yaml", document: 2, kind: "Secret", namespace: "kube-system", name: "x", message: "namespace kube-system is not ours (shop)" },
  { action: "sync-finished", revision: REV, created: 1, configured: 1, unchanged: 7, pruned: 1, durationMs: 842 },
  { action: "drift-corrected", group: "apps", kind: "Deployment", namespace: "shop", name: "web", revision: REV, uid: "9a8b", resourceVersion: "1300", fieldManager: "kubectl-edit" },
  { action: "drift-detected", group: "apps", kind: "Deployment", namespace: "shop", name: "web", revision: REV, fieldManager: "kubectl-edit" },
  { action: "sync-failed", reason: "DecryptFailed", revision: REV, message: "apps/db/secret.sops.yaml (document 0): MAC mismatch", durationMs: 12 },
  { action: "leader-lost", identity: "shop-7d9f-abc", lease: "sealsync" },
  { action: "daemon-stop", reason: "SIGTERM", identity: "shop-7d9f-abc" },
  // Later actions go after the first fifteen, which tests count on.
  { action: "verification-failed", revision: REV, ref: "refs/heads/main", verifyMode: "head", message: "commit is not signed by a trusted key" },
  { action: "source-rewound", revision: REV, from: "0123456789abcdef0123456789abcdef01234567", rewind: "ancestor", refused: "no", ref: "refs/heads/main" },
  { action: "restart-triggered", group: "apps", kind: "Deployment", namespace: "shop", name: "web", revision: REV, changedKeys: "Secret/db:password" },
  { action: "revision-health", revision: REV, phase: "Degraded", reason: "Failed", failing: "Deployment/web: ContainerCrashLooping", durationMs: 5300 },
];

export function sampleEvent(i: number): AuditEvent {
  return SAMPLE_EVENTS[i % SAMPLE_EVENTS.length] as AuditEvent;
}

/** Writes `count` sample entries to a new log and returns them as written. */
export async function writeLog(file: string, count: number, opts: Partial<AuditLogOptions> = {}): Promise<AuditEntry[]> {
  const log = await AuditLog.open({ file, now: tickingClock(), ...opts });
  const entries: AuditEntry[] = [];
  for (let i = 0; i < count; i++) entries.push(await log.append(sampleEvent(i)));
  await log.close();
  return entries;
}

/** The file's lines (without the final empty string after the last newline). */
export function fileLines(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

export function writeFileLines(file: string, lines: string[], finalNewline = true): void {
  writeFileSync(file, lines.join("\n") + (finalNewline && lines.length > 0 ? "\n" : ""));
}

/** Rows of a CSV text, read by csv-parse: an independent reader is a better oracle for our writer. */
export function parseCsv(text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: true }) as string[][];
}

/** CSV rows keyed by the header row. */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((row) => Object.fromEntries((header ?? []).map((name, i) => [name, row[i] ?? ""])));
}
