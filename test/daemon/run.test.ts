/**
 * `sealsync run` as a real child process against the real kube-apiserver (as the namespaced Role) and
 * the real Git server: polling, webhooks, self-heal, report-only drift, shutdown, metrics, audit.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Deployment } from "@kubernetes/client-node";
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commitFiles } from "../env/git.js";
import { adminKubeConfig } from "../env/kube.js";
import { configMap, deployment, syncFixture, type SyncFixture } from "../sync/helpers.js";
import { startDaemon, until, type RunningDaemon } from "./helpers.js";

const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

async function daemon(f: SyncFixture, extra: string[] = []): Promise<RunningDaemon> {
  const d = await startDaemon(f, ["--no-leader-election", ...extra]);
  running.push(d);
  return d;
}

function audit(f: SyncFixture): Record<string, unknown>[] {
  return readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

const cmData = (f: SyncFixture, name: string) =>
  core().readNamespacedConfigMap({ name, namespace: f.namespace }).then((c) => c.data, () => undefined);

describe("sealsync run", () => {
  it("applies the first revision, becomes ready, and picks up a new commit by polling", async () => {
    const f = await syncFixture("poll");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await daemon(f, ["--interval", "500ms"]);
    await until("the first sync", async () => (await cmData(f, "app"))?.v === "1");
    await until("/readyz 200", async () => (await fetch(`${d.url}/readyz`)).status === 200);
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "2" }) }, { message: "bump v" });
    await until("the polled commit", async () => (await cmData(f, "app"))?.v === "2");
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/^sealsync_reconciles_total\{result="success"\} [1-9]/m);
    expect(metrics).toMatch(/^sealsync_managed_objects 1$/m);
  });

  it("syncs at once on a signed webhook and answers 401 to a bad signature", async () => {
    const f = await syncFixture("hook");
    const secretFile = path.join(f.dataDir, "webhook-secret");
    writeFileSync(secretFile, "s3cret-hook\n");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await daemon(f, ["--interval", "1h", "--webhook-secret-file", secretFile, "--ref", "main"]);
    await until("the first sync", async () => (await cmData(f, "app"))?.v === "1");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "2" }) });
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const bad = await fetch(`${d.url}/hooks/git`, { method: "POST", body, headers: { "X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json" } });
    expect(bad.status).toBe(401);
    const sig = `sha256=${createHmac("sha256", "s3cret-hook").update(body).digest("hex")}`;
    const ok = await fetch(`${d.url}/hooks/git`, { method: "POST", body, headers: { "X-Hub-Signature-256": sig, "Content-Type": "application/json" } });
    expect(ok.status).toBeLessThan(300);
    await until("the webhook-triggered sync", async () => (await cmData(f, "app"))?.v === "2", 10_000);
    // The refused delivery started no sync: the signed one is the only webhook-triggered pass.
    expect(audit(f).filter((e) => e.action === "sync-started" && e.trigger === "webhook")).toHaveLength(1);
  });

  it("reverts an edit and re-creates a deletion by someone else, recording drift with the field manager", async () => {
    const f = await syncFixture("heal");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }), "other.yaml": configMap("other", { v: "1" }) });
    await daemon(f, ["--interval", "1h"]);
    await until("the first sync", async () => (await cmData(f, "app"))?.v === "1" && (await cmData(f, "other")));
    await core().patchNamespacedConfigMap({ name: "app", namespace: f.namespace, fieldManager: "kubectl-edit", body: { data: { v: "hacked" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await until("the edit reverted", async () => (await cmData(f, "app"))?.v === "1");
    await core().deleteNamespacedConfigMap({ name: "other", namespace: f.namespace });
    await until("the deletion undone", async () => (await cmData(f, "other"))?.v === "1");
    await until("drift entries", async () => audit(f).filter((e) => e.action === "drift-corrected").length >= 2);
    const drift = audit(f).filter((e) => e.action === "drift-corrected");
    expect(drift).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: "ConfigMap", name: "app", fieldManager: "kubectl-edit" }),
      expect.objectContaining({ kind: "ConfigMap", name: "other" }),
    ]));
    // And for `kubectl describe secret sealsync` / `kubectl get events`:
    const events = await until("events", async () => {
      const list = (await core().listNamespacedEvent({ namespace: f.namespace })).items;
      return list.some((e) => e.reason === "DriftCorrected") ? list : undefined;
    });
    expect(events.map((e) => [e.reason, e.involvedObject.kind, e.involvedObject.name])).toEqual(expect.arrayContaining([
      ["ReconciliationSucceeded", "Secret", "sealsync"], ["DriftCorrected", "Secret", "sealsync"]]));
    expect(events.find((e) => e.reason === "DriftCorrected")?.message).toMatch(/ConfigMap\/app was changed by kubectl-edit/);
  });

  it("backs off when another writer keeps changing a field Git sets, instead of fighting at full speed", async () => {
    const f = await syncFixture("fight");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "git" }) });
    const d = await daemon(f, ["--interval", "1h"]);
    await until("the first sync", async () => (await cmData(f, "app"))?.v === "git");
    for (let round = 1; round <= 3; round++) {
      await core().patchNamespacedConfigMap({ name: "app", namespace: f.namespace, fieldManager: "other-controller", body: { data: { v: `theirs-${round}` } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
      await until(`correction ${round}`, async () => audit(f).filter((e) => e.action === "drift-corrected").length === round, 15_000);
    }
    // Corrected twice already: the next correction of this object waits 2 s, then 4 s...
    const backoffs = d.lines.filter((l) => l.msg?.toString().startsWith("drift keeps coming back")).map((l) => l.delayMs);
    expect(backoffs).toEqual([2000, 4000].slice(0, backoffs.length));
    expect(backoffs.length).toBeGreaterThanOrEqual(1);
    expect((await cmData(f, "app"))?.v).toBe("git");
  });

  it("does not fight another field manager over a field Git leaves out (an HPA owning replicas)", async () => {
    const f = await syncFixture("hpa");
    const deploy = deployment("web").replace("  replicas: 0\n", "");
    await commitFiles(f.repo, { "web.yaml": deploy });
    const d = await daemon(f, ["--interval", "500ms"]);
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    await until("the first sync", async () => apps.readNamespacedDeployment({ name: "web", namespace: f.namespace }).then(() => true, () => false));
    // Another field manager takes spec.replicas (an HPA-like controller writing the Deployment itself, so
    // the watch sees a foreign writer and self-heal runs a pass).
    await apps.patchNamespacedDeployment({ name: "web", namespace: f.namespace, fieldManager: "hpa-controller", body: { spec: { replicas: 3 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await d.waitForLog((l) => l.msg === "drift detected" && l.name === "web" && l.fieldManager === "hpa-controller", 10_000, "the change being noticed");
    // What sealsync owns, before: the spec's generation and its managedFields entry. (Not the resourceVersion:
    // when the workload controllers run for other tests, the deployment controller writes status.)
    const owned = (o: V1Deployment) => [o.metadata?.generation, o.metadata?.managedFields?.filter((m) => m.manager === "sealsync")];
    const before = owned(await apps.readNamespacedDeployment({ name: "web", namespace: f.namespace }));
    // A later commit (another object) makes a full pass too.
    await commitFiles(f.repo, { "cm.yaml": configMap("extra", { v: "1" }) });
    await until("the next commit", async () => core().readNamespacedConfigMap({ name: "extra", namespace: f.namespace }).then(() => true, () => false));
    const live = await apps.readNamespacedDeployment({ name: "web", namespace: f.namespace });
    expect(live.spec?.replicas).toBe(3);
    expect(owned(live)).toEqual(before); // sealsync wrote nothing to it: no tug of war
    expect(audit(f).filter((e) => e.action === "drift-corrected")).toEqual([]);
  });

  it("with --no-self-heal reports drift without correcting it, but still applies new commits", async () => {
    const f = await syncFixture("report");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await daemon(f, ["--interval", "1h", "--no-self-heal"]);
    await until("the first sync", async () => (await cmData(f, "app"))?.v === "1");
    await core().patchNamespacedConfigMap({ name: "app", namespace: f.namespace, fieldManager: "kubectl-edit", body: { data: { v: "hacked" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await d.waitForLog((l) => l.msg === "drift not corrected (--no-self-heal)", 15_000, "the drift report");
    expect((await cmData(f, "app"))?.v).toBe("hacked");
    expect(audit(f)).toEqual(expect.arrayContaining([expect.objectContaining({ action: "drift-detected", name: "app", fieldManager: "kubectl-edit" })]));
  });

  it("stops on SIGTERM with exit 0, recording daemon-stop", async () => {
    const f = await syncFixture("term");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await daemon(f, ["--interval", "1h"]);
    await until("the first sync", async () => (await cmData(f, "app"))?.v === "1");
    expect(await d.stop("SIGTERM")).toBe(0);
    const entries = audit(f);
    expect(entries[0]).toMatchObject({ action: "daemon-start" });
    expect(entries.at(-1)).toMatchObject({ action: "daemon-stop", reason: "SIGTERM" });
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(["sync-started", "object-created", "sync-finished"]));
  });
});
