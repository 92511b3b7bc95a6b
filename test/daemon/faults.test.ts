/**
 * Nothing lost under faults: the kube-apiserver stopped for 30 s, the Git server unreachable, SIGTERM
 * during a large apply — each time the daemon (never restarted by the test unless said) converges on
 * the newest good revision without leaking objects.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api } from "@kubernetes/client-node";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { LABEL_PART_OF, applySetId } from "../../src/kube/applyset.js";
import { startControlPlane, type ControlPlane } from "../env/control-plane.js";
import { commitFiles } from "../env/git.js";
import { adminKubeConfig } from "../env/kube.js";
import { startTcpProxy } from "../env/tcp-proxy.js";
import { configMap, syncFixture, type SyncFixture } from "../sync/helpers.js";
import { startDaemon, until, type RunningDaemon } from "./helpers.js";

const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

describe("kube-apiserver outage", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane(); // its own, so stopping it does not disturb other tests
  }, 90_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it("recovers without a restart after the API server is down for 30 s, and applies what was committed meanwhile", async () => {
    const f = await syncFixture("apidown");
    const admin = new KubeClient(loadKubeConfig(cp.adminKubeconfig));
    await admin.request("POST", "/api/v1/namespaces", { body: { metadata: { name: f.namespace } } });
    const read = async () => admin.request<{ data?: Record<string, string> }>("GET", `/api/v1/namespaces/${f.namespace}/configmaps/app`)
      .then((r) => r.body.data?.v, () => undefined);
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "1s"], { kubeconfig: cp.adminKubeconfig });
    running.push(d);
    await until("the first sync", async () => (await read()) === "1");

    await cp.stopApiserver();
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "2" }) }, { message: "during the outage" });
    await new Promise((r) => setTimeout(r, 30_000));
    expect(d.child.exitCode).toBeNull();
    await cp.startApiserver();
    await until("convergence after the outage", async () => (await read()) === "2", 90_000);
    expect(d.child.exitCode).toBeNull();
    expect(d.lines.some((l) => l.msg === "sync failed; the last good revision stays in force")).toBe(true);
    admin.close();
  }, 180_000);
});

describe("Git outage", () => {
  it("keeps the last good revision while Git is unreachable, then applies the new one", async () => {
    const f = await syncFixture("gitdown");
    const gitPort = Number(new URL(f.repo.url).port);
    const proxy = await startTcpProxy(gitPort);
    const viaProxy: SyncFixture = { ...f, repo: { ...f.repo, url: f.repo.url.replace(`:${gitPort}/`, `:${proxy.port}/`) } };
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await startDaemon(viaProxy, ["--no-leader-election", "--interval", "500ms"]);
    running.push(d);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const read = () => core.readNamespacedConfigMap({ name: "app", namespace: f.namespace }).then((c) => c.data?.v, () => undefined);
    await until("the first sync", async () => (await read()) === "1");

    await proxy.down();
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "2" }) });
    await d.waitForLog((l) => l.msg === "sync failed; the last good revision stays in force" && l.reason === "FetchFailed", 15_000, "a failed fetch");
    expect(await read()).toBe("1");
    await proxy.up();
    await until("the new revision after Git came back", async () => (await read()) === "2", 60_000);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metrics).toMatch(/^sealsync_git_fetch_errors_total [1-9]/m);
    await proxy.down();
  }, 120_000);
});

describe("SIGTERM during a large apply", () => {
  it("exits 0 after finishing the pass, and after a restart converges on a smaller revision with nothing leaked", async () => {
    const f = await syncFixture("sigterm");
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`cm/cm${i}.yaml`, configMap(`cm${i}`, { i: String(i) })]));
    await commitFiles(f.repo, many);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const labelled = async () => (await core.listNamespacedConfigMap({ namespace: f.namespace, labelSelector: `${LABEL_PART_OF}=${applySetId("sealsync", f.namespace)}` })).items.map((c) => c.metadata?.name ?? "");
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "1h"]);
    running.push(d);
    await until("the apply under way", async () => (await labelled()).length > 0, 30_000);
    expect(await d.stop("SIGTERM")).toBe(0);

    await commitFiles(f.repo, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`cm/cm${i}.yaml`, i < 100 ? many[`cm/cm${i}.yaml`] as string : null])));
    const again = await startDaemon(f, ["--no-leader-election", "--interval", "1h", "--max-prune", "300"]);
    running.push(again);
    await until("convergence on the 100 objects", async () => (await labelled()).length === 100, 60_000);
    expect((await labelled()).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `cm${i}`).sort());
  }, 120_000);
});
