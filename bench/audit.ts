/**
 * Audit log write throughput per fsync policy, and size per 1,000 entries.
 *
 *   npx tsx bench/audit.ts                 # N=20000 entries per run (2000 for "always", one fsync each)
 *   AUDIT_BENCH_DIR=/var/lib/x N=50000 npx tsx bench/audit.ts
 *
 * Entries are a realistic mix: each "sync" of ten objects writes sync-started, two decrypted, one
 * object-created, six object-configured and sync-finished. "sequential" awaits each append (one
 * caller); "concurrent" keeps 64 appends in flight (several async paths, as in the daemon).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AuditLog, type AuditEvent, type FsyncPolicy } from "../src/audit/index.js";

const REV = "3f2c9a1b7e6d5c4b3a29180716f5e4d3c2b1a098";
function event(i: number): AuditEvent {
  const sync = Math.floor(i / 11);
  switch (i % 11) {
    case 0: return { action: "sync-started", revision: REV, ref: "refs/heads/main", trigger: "timer", author: "Ana Lima <ana@example.com>", committer: "Ana Lima <ana@example.com>", commitTime: "2026-05-01T11:59:00Z", subject: `Bump web to v1.${sync}`, signature: "verified", signer: "SHA256:Qx4m1bT0g" };
    case 1: case 2: return { action: "decrypted", file: `apps/db/secret-${i % 11}.sops.yaml`, document: 0, format: "sops", keyId: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", revision: REV, kind: "Secret", namespace: "shop", name: `db-${i % 11}` };
    case 3: return { action: "object-created", group: "", kind: "ConfigMap", namespace: "shop", name: `web-config-${sync}`, revision: REV, uid: "6b1f4c2e-0d6a-4c5e-9b1f-3a2d7e8f9c01", resourceVersion: String(100000 + i) };
    case 10: return { action: "sync-finished", revision: REV, created: 1, configured: 6, unchanged: 3, pruned: 0, durationMs: 842 };
    default: return { action: "object-configured", group: "apps", kind: "Deployment", namespace: "shop", name: `web-${i % 11}`, revision: REV, uid: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", resourceVersion: String(100000 + i) };
  }
}

const base = process.env.AUDIT_BENCH_DIR ?? tmpdir();
const N = Number(process.env.N ?? 20000);

async function run(policy: FsyncPolicy, mode: "sequential" | "concurrent", count: number, hmacKey?: Buffer) {
  const dir = mkdtempSync(path.join(base, "sealsync-audit-bench-"));
  try {
    const log = await AuditLog.open({ file: path.join(dir, "audit.jsonl"), fsync: policy, maxBytes: 0, ...(hmacKey ? { hmacKey } : {}) });
    const start = process.hrtime.bigint();
    if (mode === "sequential") {
      for (let i = 0; i < count; i++) await log.append(event(i));
    } else {
      const inFlight = new Set<Promise<unknown>>();
      for (let i = 0; i < count; i++) {
        const p: Promise<unknown> = log.append(event(i)).then(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= 64) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }
    await log.close();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const bytes = readdirSync(dir).reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
    return { perSecond: Math.round(count / seconds), bytesPer1000: Math.round((bytes / count) * 1000) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`sealsync audit bench: node ${process.version}, dir ${base}, N=${N} (always: ${Math.min(N, 2000)})`);
console.log("policy    mode        entries/s   bytes/1000 entries");
for (const policy of ["always", "batch", "interval", "never"] as const) {
  for (const mode of ["sequential", "concurrent"] as const) {
    const r = await run(policy, mode, policy === "always" ? Math.min(N, 2000) : N);
    console.log(`${policy.padEnd(9)} ${mode.padEnd(11)} ${String(r.perSecond).padStart(9)}   ${r.bytesPer1000}`);
  }
}
const signed = await run("never", "sequential", N, Buffer.alloc(32, 1));
console.log(`with HMAC (never, sequential): ${signed.perSecond} entries/s, ${signed.bytesPer1000} bytes/1000 entries`);
