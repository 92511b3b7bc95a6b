/**
 * Replicas and secrets: two daemons on one namespace (exactly one acts; kill -9 the leader and the
 * other takes over within the lease time), and a planted canary value that must never surface in the
 * daemon's output, metrics, audit log, status or Events.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api } from "@kubernetes/client-node";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { commitFiles } from "../env/git.js";
import { adminKubeConfig } from "../env/kube.js";
import { makeTestKeys, secretYaml, sopsEncrypt, type TestKeys } from "../env/keys.js";
import { configMap, syncFixture, type SyncFixture } from "../sync/helpers.js";
import { startDaemon, until, type RunningDaemon } from "./helpers.js";

const CANARY = "canary-daemon-5b1e07-never-print";
const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
const running: RunningDaemon[] = [];
let keys: TestKeys;
beforeAll(async () => {
  keys = await makeTestKeys();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

const FAST_LEASE = ["--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "300ms", "--interval", "500ms"];

function auditOf(dataDir: string): Record<string, unknown>[] {
  try {
    return readFileSync(path.join(dataDir, "audit", "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

describe("leader election", () => {
  it("lets exactly one of two replicas act, and hands over when the leader is killed", async () => {
    const f = await syncFixture("leader");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    // The second replica has its own data dir (its own pod's emptyDir).
    const f2: SyncFixture = { ...f, dataDir: mkdtempSync(path.join(os.tmpdir(), "sealsync-data-")) };
    writeFileSync(path.join(f2.dataDir, "git-password"), readFileSync(f.passwordFile));
    const a = await startDaemon(f, FAST_LEASE);
    const b = await startDaemon(f2, FAST_LEASE);
    running.push(a, b);
    await until("a leader", async () => a.lines.concat(b.lines).some((l) => l.msg === "acting: reconciling"));
    await until("the first sync", async () => (await core().readNamespacedConfigMap({ name: "app", namespace: f.namespace })).data?.v === "1");
    await new Promise((r) => setTimeout(r, 1500));
    const acting = (d: RunningDaemon) => d.lines.some((l) => l.msg === "acting: reconciling");
    expect([acting(a), acting(b)].filter(Boolean)).toHaveLength(1);
    const [leader, standby, leaderDir, standbyDir] = acting(a) ? [a, b, f.dataDir, f2.dataDir] : [b, a, f2.dataDir, f.dataDir];
    expect(auditOf(leaderDir).map((e) => e.action)).toEqual(expect.arrayContaining(["leader-acquired", "object-created"]));
    expect(auditOf(standbyDir).map((e) => e.action)).not.toContain("object-created");
    expect((await fetch(`${standby.url}/readyz`)).status).toBe(200); // a standby must not hold its pod back

    await leader.stop("SIGKILL");
    await standby.waitForLog((l) => l.msg === "acting: reconciling", 10_000, "the standby taking over");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "2" }) });
    await until("the new leader syncing", async () => (await core().readNamespacedConfigMap({ name: "app", namespace: f.namespace })).data?.v === "2");
  });

  it("releases the lease on SIGTERM so the standby takes over at once", async () => {
    const f = await syncFixture("release");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const f2: SyncFixture = { ...f, dataDir: mkdtempSync(path.join(os.tmpdir(), "sealsync-data-")) };
    writeFileSync(path.join(f2.dataDir, "git-password"), readFileSync(f.passwordFile));
    const slow = ["--lease-duration", "30s", "--renew-deadline", "20s", "--retry-period", "300ms", "--interval", "500ms"];
    const a = await startDaemon(f, slow);
    running.push(a);
    await a.waitForLog((l) => l.msg === "acting: reconciling", 10_000, "a leading");
    const b = await startDaemon(f2, slow);
    running.push(b);
    expect(await a.stop("SIGTERM")).toBe(0);
    // Released, not expired: b takes over well inside the 30 s lease (the wait's own bound).
    await b.waitForLog((l) => l.msg === "acting: reconciling", 5_000, "the standby taking over after release");
  });
});

describe("secrets never surface", () => {
  it("keeps a decrypted canary out of stdout, stderr, metrics, the audit log, the status and Events", async () => {
    const f = await syncFixture("canary");
    await commitFiles(f.repo, {
      "db.yaml": sopsEncrypt(secretYaml("db", { password: CANARY }), keys.ageRecipient),
      "cm.yaml": configMap("app", { v: "1" }),
    });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "500ms", "--log-level", "debug"], { keysDir: keys.dir });
    running.push(d);
    await until("the secret applied", async () =>
      Buffer.from((await core().readNamespacedSecret({ name: "db", namespace: f.namespace })).data?.password ?? "", "base64").toString() === CANARY);
    // A revision that fails in the Secret itself (invalid key name) must not echo the value either.
    await commitFiles(f.repo, { "db.yaml": sopsEncrypt(secretYaml("db", { "bad key!": CANARY }), keys.ageRecipient) });
    await d.waitForLog((l) => l.msg === "sync failed; the last good revision stays in force", 15_000, "the failed sync");
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    const auditText = readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8");
    const parent = await core().readNamespacedSecret({ name: "sealsync", namespace: f.namespace });
    const events = await core().listNamespacedEvent({ namespace: f.namespace });
    const b64 = Buffer.from(CANARY).toString("base64");
    for (const [where, text] of [["stdout", d.stdout()], ["stderr", d.stderr()], ["metrics", metrics], ["audit", auditText],
      ["status", JSON.stringify(parent.metadata?.annotations ?? {})], ["events", JSON.stringify(events.items)]] as const) {
      expect([where, text.includes(CANARY) || text.includes(b64)]).toEqual([where, false]);
    }
    expect(auditText).toContain('"action":"decrypted"');
  });
});
