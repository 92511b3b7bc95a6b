/** Watches against the real kube-apiserver, as the namespaced ServiceAccount, with the network broken on purpose. */
import { afterEach, describe, expect, it } from "@jest/globals";
import { LABEL_PART_OF } from "../../src/kube/applyset.js";
import { KubeClient, loadKubeConfig, type KubeObject } from "../../src/kube/client.js";
import { watchCollection, type Watch, type WatchOptions } from "../../src/kube/watch.js";
import { createNamespace, createNamespacedUser } from "../env/kube.js";
import { startApiProxy, type ApiProxy } from "./api-proxy.js";
import { sleep, waitFor } from "./helpers.js";

const SET = "applyset-test-v1";
const SELECTOR = `${LABEL_PART_OF}=${SET}`;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Fixture {
  namespace: string;
  /** Writes go straight to the API server. */
  client: KubeClient;
  /** Watches go through the proxy, with this client. */
  proxy: ApiProxy;
  watchClient: KubeClient;
  watch(opts?: Partial<WatchOptions> & { kind?: "configmaps" | "secrets" }): { w: Watch; seen: string[]; objects: KubeObject[]; errors: Error[] };
  put(kind: "configmaps" | "secrets", name: string, data: Record<string, string>, labelled?: boolean): Promise<void>;
  remove(kind: "configmaps" | "secrets", name: string): Promise<void>;
}

async function fixture(prefix: string): Promise<Fixture> {
  const namespace = await createNamespace(prefix);
  const kubeconfig = loadKubeConfig((await createNamespacedUser(namespace)).kubeconfig);
  const client = new KubeClient(kubeconfig);
  const proxy = await startApiProxy();
  const watchClient = new KubeClient(proxy.via(kubeconfig));
  cleanups.push(() => client.close(), () => proxy.close(), () => watchClient.close());
  const base = (kind: string) => `/api/v1/namespaces/${namespace}/${kind}`;
  return {
    namespace, client, proxy, watchClient,
    watch(opts = {}) {
      const seen: string[] = [];
      const objects: KubeObject[] = [];
      const errors: Error[] = [];
      const w = watchCollection({ client: watchClient, path: base(opts.kind ?? "configmaps"), labelSelector: SELECTOR, stallTimeoutMs: 1500, onError: (e) => void errors.push(e), ...opts });
      cleanups.push(() => w.close());
      void (async () => {
        for await (const ev of w) {
          seen.push(`${ev.type} ${ev.object.kind}/${ev.object.metadata.name}`);
          objects.push(ev.object);
        }
      })();
      return { w, seen, objects, errors };
    },
    async put(kind, name, data, labelled = true) {
      const body = {
        apiVersion: "v1", kind: kind === "secrets" ? "Secret" : "ConfigMap",
        metadata: { name, ...(labelled ? { labels: { [LABEL_PART_OF]: SET } } : {}) },
        [kind === "secrets" ? "stringData" : "data"]: data,
      };
      await client.request("PATCH", `${base(kind)}/${name}`, { body, contentType: "application/apply-patch+yaml", query: { fieldManager: "test", force: "true" } });
    },
    async remove(kind, name) {
      await client.request("DELETE", `${base(kind)}/${name}`);
    },
  };
}

describe("watchCollection", () => {
  it("reports create, edit and delete of labelled objects, and nothing of unlabelled ones", async () => {
    const f = await fixture("watch-basic");
    await f.put("configmaps", "before", { a: "1" });
    const { w, seen, objects, errors } = f.watch();
    await w.ready;
    await f.put("configmaps", "web", { mode: "blue" });
    await f.put("configmaps", "other", { x: "1" }, false);
    await f.put("configmaps", "web", { mode: "green" });
    await f.put("configmaps", "other", { x: "2" }, false);
    await f.remove("configmaps", "other");
    await f.remove("configmaps", "web");
    await waitFor("the delete", () => seen.includes("DELETED ConfigMap/web"));
    expect(seen).toEqual(["ADDED ConfigMap/before", "ADDED ConfigMap/web", "MODIFIED ConfigMap/web", "DELETED ConfigMap/web"]);
    expect((objects[2] as KubeObject & { data: unknown }).data).toEqual({ mode: "green" });
    expect(objects[0]?.apiVersion).toBe("v1");
    expect(errors).toEqual([]);
    expect(w.stats).toEqual({ connects: 1, relists: 0, stalls: 0, errors: 0 });
  });

  it("with initialEvents: false, only changes after the start are reported", async () => {
    const f = await fixture("watch-quiet");
    await f.put("configmaps", "before", { a: "1" });
    const { w, seen } = f.watch({ initialEvents: false });
    await w.ready;
    await f.put("configmaps", "before", { a: "2" });
    await waitFor("the edit", () => seen.length > 0);
    expect(seen).toEqual(["MODIFIED ConfigMap/before"]);
  });

  it("a reset connection is re-established, and changes made meanwhile are not lost", async () => {
    const f = await fixture("watch-reset");
    const { w, seen, errors } = f.watch();
    await w.ready;
    await f.put("configmaps", "a", { v: "1" });
    await waitFor("the first event", () => seen.length === 1);
    f.proxy.dropConnections();
    // Made while the watch is down (it retries after 500 ms).
    await f.put("configmaps", "a", { v: "2" });
    await f.put("configmaps", "b", { v: "1" });
    await f.remove("configmaps", "a");
    await waitFor("the changes made during the outage", () => seen.length === 4);
    expect(seen).toEqual(["ADDED ConfigMap/a", "MODIFIED ConfigMap/a", "ADDED ConfigMap/b", "DELETED ConfigMap/a"]);
    expect(w.stats.connects).toBe(2);
    expect(errors.map((e) => [e.name, e.message])).toEqual([
      ["WatchConnectionError", `watch of /api/v1/namespaces/${f.namespace}/configmaps: connection lost: aborted (ECONNRESET)`]]);
  });

  it("a stream that goes silent is abandoned by the watchdog and resumed without loss", async () => {
    const f = await fixture("watch-stall");
    const { w, seen, errors } = f.watch();
    await w.ready;
    await waitFor("the watch stream", () => f.proxy.openWatches() === 1);
    f.proxy.freezeWatches();
    await f.put("configmaps", "a", { v: "1" });
    await f.put("configmaps", "a", { v: "2" });
    // Only a new stream can deliver these: the frozen one never will.
    await waitFor("the events, through a new stream", () => seen.length === 2);
    expect(seen).toEqual(["ADDED ConfigMap/a", "MODIFIED ConfigMap/a"]);
    expect(w.stats.stalls).toBeGreaterThanOrEqual(1);
    expect(w.stats.relists).toBe(0);
    expect(errors[0]?.name).toBe("WatchStalledError");
  });

  it("410 Gone: a relist reports what changed while the watch was blind, Secrets' deletions without their data", async () => {
    const f = await fixture("watch-gone");
    await f.put("secrets", "kept", { password: "canary-kept" });
    await f.put("secrets", "changed", { password: "canary-old" });
    await f.put("secrets", "gone", { password: "canary-gone" });
    const { w, seen, objects } = f.watch({ kind: "secrets" });
    await w.ready;
    await waitFor("the initial events", () => seen.length === 3);
    await waitFor("the watch stream", () => f.proxy.openWatches() === 1);
    f.proxy.freezeWatches();
    await f.put("secrets", "changed", { password: "canary-new" });
    await f.remove("secrets", "gone");
    await f.put("secrets", "new", { password: "canary-new" });
    await sleep(200);
    expect(seen).toHaveLength(3);
    f.proxy.expireWatches();
    await waitFor("the relist", () => seen.length === 6);
    expect(seen.slice(3).sort()).toEqual(["ADDED Secret/new", "DELETED Secret/gone", "MODIFIED Secret/changed"]);
    expect(w.stats.relists).toBe(1);
    const deleted = objects[seen.indexOf("DELETED Secret/gone")]!;
    expect(deleted).toEqual({
      apiVersion: "v1", kind: "Secret",
      metadata: { name: "gone", namespace: f.namespace, uid: expect.any(String), resourceVersion: expect.any(String), labels: { [LABEL_PART_OF]: SET } },
    });
    // Still live afterwards.
    await f.put("secrets", "kept", { password: "canary-2" });
    await waitFor("a later edit", () => seen.length === 7);
    expect(seen[6]).toBe("MODIFIED Secret/kept");
  });

  it("an API server that is down at the start is retried until it answers; nothing before that is missed", async () => {
    const f = await fixture("watch-down");
    const down = await startApiProxy();
    await down.close();
    const errors: Error[] = [];
    const client = new KubeClient(down.via(loadKubeConfig((await createNamespacedUser(f.namespace, undefined, "late")).kubeconfig)));
    const w = watchCollection({ client, path: `/api/v1/namespaces/${f.namespace}/configmaps`, labelSelector: SELECTOR, initialBackoffMs: 100, onError: (e) => void errors.push(e) });
    cleanups.push(() => w.close(), () => client.close());
    const seen: string[] = [];
    void (async () => {
      for await (const ev of w) seen.push(`${ev.type} ${ev.object.metadata.name}`);
    })();
    await waitFor("a refused connection", () => errors.length >= 2);
    await f.put("configmaps", "while-down", { v: "1" });
    const back = await startApiProxy(down.port);
    cleanups.push(() => back.close());
    await w.ready;
    await f.put("configmaps", "after", { v: "1" });
    await waitFor("both objects", () => seen.length === 2);
    expect(seen).toEqual(["ADDED while-down", "ADDED after"]);
    expect(errors[0]).toMatchObject({ name: "WatchConnectionError", message: expect.stringMatching(/^listing \/api\/v1\/namespaces\/.*\/configmaps: .*ECONNREFUSED/) });
  });

  it("many open watches do not starve the client's other requests (one watch per kind in a big inventory)", async () => {
    const f = await fixture("watch-many");
    const watches = Array.from({ length: 20 }, () => f.watch());
    await Promise.all(watches.map(({ w }) => w.ready));
    await waitFor("20 open streams", () => f.proxy.openWatches() === 20, 10_000);
    // The watches' own client still gets connections for ordinary requests.
    const res = await f.watchClient.request("GET", `/api/v1/namespaces/${f.namespace}/configmaps`);
    expect(res.status).toBe(200);
    await f.put("configmaps", "late", { v: "1" });
    await waitFor("the event on every watch", () => watches.every(({ seen }) => seen.includes("ADDED ConfigMap/late")), 10_000);
  });

  it("close() ends the iteration", async () => {
    const f = await fixture("watch-close");
    const { w } = f.watch();
    await w.ready;
    const it = w[Symbol.asyncIterator]();
    const pending = it.next();
    w.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
