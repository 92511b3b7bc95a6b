/** The sync engine against the real kube-apiserver (as the namespaced Role) and the real Git server. */
import { describe, expect, it } from "@jest/globals";
import { CoreV1Api } from "@kubernetes/client-node";
import { adminKubeConfig } from "../env/kube.js";
import { commitFiles } from "../env/git.js";
import { RevisionRejectedError } from "../../src/manifests/errors.js";
import { ReconcileRefusedError } from "../../src/reconcile/sync.js";
import { actions, configMap, deployment, syncFixture } from "./helpers.js";

const core = () => adminKubeConfig().makeApiClient(CoreV1Api);

describe("sync: create, update, unchanged, prune", () => {
  it("creates, then makes no writes when nothing changed, then configures and prunes", async () => {
    const f = await syncFixture("life");
    await commitFiles(f.repo, {
      "app/config.yaml": configMap("app-config", { mode: "blue" }),
      "app/deploy.yaml": deployment("web"),
      "app/more.yaml": `${configMap("extra-1", { a: "1" })}---\n${configMap("extra-2", { b: "2" })}`,
    });
    const first = await f.sync();
    expect(actions(first)).toEqual([
      "created ConfigMap/app-config", "created ConfigMap/extra-1", "created ConfigMap/extra-2", "created Deployment/web"]);
    const cm = await core().readNamespacedConfigMap({ name: "app-config", namespace: f.namespace });
    expect(cm.data).toEqual({ mode: "blue" });
    expect(cm.metadata?.managedFields?.map((m) => m.manager)).toContain("sealsync");

    const writesBefore = f.client.writes;
    const dryRunsBefore = f.client.requestCount.DRYRUN ?? 0;
    const second = await f.sync();
    expect(actions(second).every((a) => a.startsWith("unchanged "))).toBe(true);
    // No write, not even a dry-run (the source digest and live fields prove nothing changed).
    expect((f.client.requestCount.DRYRUN ?? 0) - dryRunsBefore).toBe(0);
    expect(f.client.writes - writesBefore).toBe(0);
    const again = await core().readNamespacedConfigMap({ name: "app-config", namespace: f.namespace });
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);

    await commitFiles(f.repo, { "app/config.yaml": configMap("app-config", { mode: "green" }), "app/more.yaml": configMap("extra-1", { a: "1" }) });
    const third = await f.sync();
    expect(actions(third)).toEqual([
      "configured ConfigMap/app-config", "pruned ConfigMap/extra-2", "unchanged ConfigMap/extra-1", "unchanged Deployment/web"]);
    expect((await core().readNamespacedConfigMap({ name: "app-config", namespace: f.namespace })).data).toEqual({ mode: "green" });
    await expect(core().readNamespacedConfigMap({ name: "extra-2", namespace: f.namespace })).rejects.toThrow(/404|not found/i);
  });
});

describe("sync: all or nothing", () => {
  it("refuses a whole revision naming another namespace or a cluster-scoped kind, keeping the last good state", async () => {
    const f = await syncFixture("refuse");
    await commitFiles(f.repo, { "a.yaml": configMap("keep", { v: "1" }) });
    await f.sync();
    await commitFiles(f.repo, {
      "a.yaml": configMap("keep", { v: "2" }),
      "b.yaml": configMap("elsewhere", { v: "1" }).replace("name: elsewhere", "name: elsewhere\n  namespace: kube-system"),
      "c.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: grab\nrules: []\n",
      "d.yaml": "kind: ConfigMap\nmetadata:\n  name: noversion\n",
      "e.yaml": "a: [unclosed\n",
    });
    const err = await f.sync().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionRejectedError);
    const messages = (err as RevisionRejectedError).errors.map((e) => e.message);
    expect(messages).toEqual([
      expect.stringMatching(/^b\.yaml \(document 0, ConfigMap\/elsewhere\): metadata\.namespace is "kube-system" but sealsync only manages namespace/),
      expect.stringMatching(/^c\.yaml \(document 0, ClusterRole\/grab\): ClusterRole is cluster-scoped/),
      expect.stringMatching(/^d\.yaml \(document 0, ConfigMap\/noversion\): apiVersion, kind and metadata\.name are required/),
      expect.stringMatching(/^e\.yaml \(document 0\): invalid YAML at line \d+/),
    ]);
    // Nothing of the revision was applied.
    expect((await core().readNamespacedConfigMap({ name: "keep", namespace: f.namespace })).data).toEqual({ v: "1" });
  });

  it("refuses a revision the API server rejects in dry-run, applying none of it", async () => {
    const f = await syncFixture("dryrun");
    await commitFiles(f.repo, { "a.yaml": configMap("first", { v: "1" }) });
    await f.sync();
    await commitFiles(f.repo, {
      "a.yaml": configMap("first", { v: "2" }),
      "b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\nspec:\n  nope: 1\n",
    });
    await expect(f.sync()).rejects.toThrow(ReconcileRefusedError);
    await expect(f.sync()).rejects.toThrow(/b\.yaml \(document 0\): ConfigMap\/typo apply failed: .*\.spec: field not declared in schema/);
    expect((await core().readNamespacedConfigMap({ name: "first", namespace: f.namespace })).data).toEqual({ v: "1" });
  });
});

describe("sync: prune guards", () => {
  it("never prunes everything for an empty revision unless allowed", async () => {
    const f = await syncFixture("empty");
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "1" }), "b.yaml": configMap("b", { v: "1" }) });
    await f.sync();
    await commitFiles(f.repo, { "a.yaml": null, "b.yaml": null, "README.md": "nothing here\n" });
    await expect(f.sync()).rejects.toThrow(/no objects but 2 are managed; refusing to delete them all \(pass --allow-empty/);
    expect((await core().readNamespacedConfigMap({ name: "a", namespace: f.namespace })).data).toEqual({ v: "1" });
    expect(actions(await f.sync({ allowEmpty: true, forcePrune: true }))).toEqual(["pruned ConfigMap/a", "pruned ConfigMap/b"]);
  });

  it("refuses to prune more than half of the managed objects without --force-prune or a higher --max-prune", async () => {
    const f = await syncFixture("maxprune");
    await commitFiles(f.repo, Object.fromEntries([1, 2, 3, 4].map((i) => [`cm${i}.yaml`, configMap(`cm${i}`, { i: String(i) })])));
    await f.sync();
    await commitFiles(f.repo, { "cm2.yaml": null, "cm3.yaml": null, "cm4.yaml": null });
    await expect(f.sync()).rejects.toThrow(/3 of 4 managed objects would be pruned, more than the limit of 2/);
    expect(actions(await f.sync({ maxPrune: 3 }))).toEqual([
      "pruned ConfigMap/cm2", "pruned ConfigMap/cm3", "pruned ConfigMap/cm4", "unchanged ConfigMap/cm1"]);
  });

  it("leaks nothing when a run is interrupted between apply and prune", async () => {
    const f = await syncFixture("interrupt");
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "1" }), "b.yaml": configMap("b", { v: "1" }) });
    await f.sync();
    // The new revision moves b into a Secret-free new kind (a Service) and drops ConfigMap b.
    await commitFiles(f.repo, {
      "b.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports: [{port: 80}]\n",
      "c.yaml": configMap("c", { v: "1" }),
    });
    await expect(f.sync({ onStep: (s) => { if (s === "applied") throw new Error("killed"); } })).rejects.toThrow("killed");
    // Applied but not pruned: b is still there. The rerun finds it through the superset parent and prunes it.
    await expect(core().readNamespacedConfigMap({ name: "b", namespace: f.namespace })).resolves.toBeDefined();
    const rerun = await f.sync();
    expect(actions(rerun)).toEqual(["pruned ConfigMap/b", "unchanged ConfigMap/a", "unchanged ConfigMap/c", "unchanged Service/svc"]);
  });
});
