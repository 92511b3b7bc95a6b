/**
 * `sealsync run` with workloads that really roll out: a changed Secret value rolls the opted-in
 * Deployment (a new ReplicaSet) and not the other one; re-encrypting the same value rolls nothing; a
 * person's `kubectl rollout restart` is not undone; the health of each revision reaches the status
 * annotation, which `sealsync status` prints on one screen.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { AppsV1Api } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, testAssets } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { makeTestKeys, secretYaml, sopsEncrypt, type TestKeys } from "../env/keys.js";
import { adminKubeConfig } from "../env/kube.js";
import { run, runAsync } from "../env/run.js";
import { workloadControllers } from "../env/workloads.js";
import { startDaemon, until, type RunningDaemon } from "../daemon/helpers.js";
import { syncFixture, type SyncFixture } from "../sync/helpers.js";
import { workload } from "./helpers.js";
import type { DaemonStatus } from "../../src/daemon/status.js";

const cli = path.join(repoRoot, "dist/cli/sealsync.js");
const CANARY = "canary-41b7-value";
const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
const running: RunningDaemon[] = [];
let keys: TestKeys;

beforeAll(async () => {
  keys = await makeTestKeys();
  await workloadControllers();
}, 180_000);
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

function audit(f: SyncFixture): Record<string, unknown>[] {
  return readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function status(f: SyncFixture, extra: string[] = []) {
  return runAsync(process.execPath, [cli, "status", "-n", f.namespace, "--kubeconfig", f.kubeconfig, ...extra]);
}

async function statusJson(f: SyncFixture): Promise<DaemonStatus | undefined> {
  const res = await status(f, ["-o", "json"]);
  return res.exitCode === 0 ? JSON.parse(res.stdout) as DaemonStatus : undefined;
}

const replicaSets = async (f: SyncFixture, app: string) =>
  (await apps().listNamespacedReplicaSet({ namespace: f.namespace, labelSelector: `app=${app}` })).items.map((rs) => rs.metadata?.name).sort();

const withEnv = (yaml: string) => yaml.replace("          image: registry.example/", "          env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]\n          image: registry.example/");

describe("restart on config change, and sealsync status", () => {
  it("rolls only the opted-in Deployment on a value change, nothing on re-encryption, and keeps a manual rollout restart", async () => {
    const f = await syncFixture("restart", { role: "namespace-admin" });
    const files = (value: string) => ({
      "db.sops.yaml": sopsEncrypt(secretYaml("db", { password: value }), keys.ageRecipient),
      "api.yaml": withEnv(workload("api", { annotations: { "sealsync.dev/restart-on-change": "true" } })),
      "worker.yaml": withEnv(workload("worker")),
    });
    const first = await commitFiles(f.repo, files(`${CANARY}-1`), { message: "api and worker" });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "1s", "--health-timeout", "2m"], { keysDir: keys.dir });
    running.push(d);
    const ready = await until("revision 1 Ready", async () => {
      const s = await statusJson(f);
      return s?.health?.revision === first && s.health.phase === "Ready" ? s : undefined;
    }, 120_000);
    console.log(`apply to Ready (daemon): ${Date.parse(ready.health?.finishedAt ?? "") - Date.parse(ready.health?.since ?? "")} ms`);
    const [apiRs1, workerRs1] = [await replicaSets(f, "api"), await replicaSets(f, "worker")];
    expect([apiRs1.length, workerRs1.length]).toEqual([1, 1]);

    // A new value: the api rolls (a second ReplicaSet), the worker does not.
    const second = await commitFiles(f.repo, { "db.sops.yaml": files(`${CANARY}-2`)["db.sops.yaml"] }, { message: "rotate db password" });
    await until("revision 2 Ready", async () => {
      const s = await statusJson(f);
      return s?.health?.revision === second && s.health.phase === "Ready";
    }, 120_000);
    const apiRs2 = await replicaSets(f, "api");
    expect(apiRs2.length).toBe(2);
    expect(await replicaSets(f, "worker")).toEqual(workerRs1);
    const restarts = audit(f).filter((e) => e.action === "restart-triggered");
    expect(restarts.map((e) => [e.kind, e.name, e.revision, e.changedKeys])).toEqual([["Deployment", "api", second, "Secret/db:password"]]);

    // The same value encrypted again (new data key, new ciphertext): nothing rolls.
    const third = await commitFiles(f.repo, { "db.sops.yaml": files(`${CANARY}-2`)["db.sops.yaml"] }, { message: "re-encrypt" });
    await until("revision 3 applied", async () => (await statusJson(f))?.lastAppliedRevision === third, 60_000);
    expect(await replicaSets(f, "api")).toEqual(apiRs2);
    expect(audit(f).filter((e) => e.action === "restart-triggered").length).toBe(1);

    // A person restarts the api by hand; the next sync leaves that restart alone.
    const kubectl = run(testAssets().kubectl, ["--kubeconfig", f.kubeconfig, "-n", f.namespace, "rollout", "restart", "deployment/api"]);
    expect(kubectl.exitCode).toBe(0);
    const apiRs3 = await until("the manual rollout", async () => {
      const rs = await replicaSets(f, "api");
      return rs.length === 3 ? rs : undefined;
    }, 60_000);
    const fourth = await commitFiles(f.repo, { "note.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: note\ndata:\n  n: \"1\"\n" }, { message: "unrelated" });
    await until("revision 4 Ready", async () => {
      const s = await statusJson(f);
      return s?.health?.revision === fourth && s.health.phase === "Ready";
    }, 120_000);
    expect(await replicaSets(f, "api")).toEqual(apiRs3);
    const api = await apps().readNamespacedDeployment({ name: "api", namespace: f.namespace });
    expect(Object.keys(api.spec?.template.metadata?.annotations ?? {}).sort()).toEqual(["kubectl.kubernetes.io/restartedAt", "sealsync.dev/config-hash"]);

    // `sealsync status`, whole.
    // One consistent snapshot: the daemon may rewrite the status (its `updated`) between two reads.
    const { s, text } = await until("a status read twice the same around `sealsync status`", async () => {
      const before = await statusJson(f);
      const shown = await status(f);
      const after = await statusJson(f);
      return JSON.stringify(before) === JSON.stringify(after) && { s: before!, text: shown };
    }, 60_000);
    expect({ exitCode: text.exitCode, stderr: text.stderr }).toEqual({ exitCode: 0, stderr: "" });
    const pad = (k: string) => k.padEnd("last healthy".length);
    expect(text.stdout).toBe([
      `${pad("namespace")}  ${f.namespace} (Secret/sealsync)`,
      `${pad("sync")}  Ready, 4 objects`,
      `${pad("applied")}  ${fourth.slice(0, 12)}`,
      `${pad("attempted")}  ${fourth.slice(0, 12)}`,
      `${pad("commit")}  Test Author <author@example.test>: "unrelated"`,
      `${pad("health")}  Ready for ${fourth.slice(0, 12)}`,
      "last healthy  " + fourth.slice(0, 12),
      `${pad("updated")}  ${s.time}`,
      `${pad("last error")}  -`,
      "",
      ...[
        ["OBJECT", "HEALTH", "REASON", "MESSAGE"],
        ["ConfigMap/note", "Current", "Current", "Resource is always ready"],
        ["Secret/db", "Current", "Current", "Resource is always ready"],
        ["Deployment/api", "Current", "Current", "Deployment is available. Replicas: 1"],
        ["Deployment/worker", "Current", "Current", "Deployment is available. Replicas: 1"],
      ].map(([o, h, r, m]) => `${o!.padEnd(17)}  ${h!.padEnd(7)}  ${r!.padEnd(7)}  ${m!}`),
      "",
    ].join("\n"));
    expect(d.stdout() + d.stderr() + readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8") + text.stdout).not.toContain(CANARY);
  }, 600_000);
});
