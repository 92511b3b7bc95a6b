/**
 * Issue 11, findings 3 and 4: sealsync never adopts an object it did not create without its owner's
 * say-so, prunes only what it applied itself (never because someone added its label), and never lists
 * or deletes outside its namespace whatever the inventory annotation says. Real apiserver and Git server.
 */
import { describe, expect, it } from "@jest/globals";
import { commitFiles } from "../env/git.js";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { ANNOTATION_GROUP_KINDS, LABEL_PART_OF, applySetId } from "../../src/kube/applyset.js";
import { reconcile, ReconcileRefusedError } from "../../src/reconcile/sync.js";
import { GitSource } from "../../src/source/git.js";
import { testEnvState } from "../env/state.js";
import { actions, configMap, syncFixture } from "./helpers.js";
import { admin, getObject } from "./safety-helpers.js";

const cmPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`;

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ReconcileRefusedError);
  return (err as Error).message;
}

describe("finding 3: no silent adoption, no prune of what sealsync did not apply", () => {
  it("refuses to take over an existing object until its owner annotates it, and only then can prune it", async () => {
    const f = await syncFixture("adopt");
    // Another team's ConfigMap, created with kubectl.
    await admin().request("POST", `/api/v1/namespaces/${f.namespace}/configmaps`, {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "team-config" }, data: { owner: "them" } },
    });
    await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "1" }) });
    await f.sync();

    // Step 1 of adopt-then-prune: commit an object of that name.
    await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "2" }), "team.yaml": configMap("team-config", { owner: "us" }) });
    expect(await refusal(f.sync())).toMatch(
      /team\.yaml \(document 0, ConfigMap\/team-config\): ConfigMap\/team-config already exists and sealsync did not create it; refusing to take it over \(rule adopt\)\. Rename yours, or have its owner annotate the live object sealsync\.dev\/adopt="true"/);
    expect((await getObject(cmPath(f.namespace, "team-config")))?.data).toEqual({ owner: "them" });
    expect((await getObject(cmPath(f.namespace, "app")))?.data).toEqual({ v: "1" });

    // Step 2: delete the file — nothing to prune, the object was never ours.
    await commitFiles(f.repo, { "team.yaml": null });
    expect(actions(await f.sync())).toEqual(["configured ConfigMap/app"]);
    expect((await getObject(cmPath(f.namespace, "team-config")))?.data).toEqual({ owner: "them" });

    // The owner opts in: now it is adopted, and from then on managed (pruned when it leaves Git).
    await admin().request("PATCH", cmPath(f.namespace, "team-config"), {
      body: { metadata: { annotations: { "sealsync.dev/adopt": "true" } } }, contentType: "application/merge-patch+json",
    });
    await commitFiles(f.repo, { "team.yaml": configMap("team-config", { owner: "us" }) });
    const adopted = await f.sync();
    expect(actions(adopted)).toEqual(["configured ConfigMap/team-config", "unchanged ConfigMap/app"]);
    expect(adopted.warnings).toEqual(['ConfigMap/team-config exists and is annotated sealsync.dev/adopt: "true"; sealsync takes it over']);
    await commitFiles(f.repo, { "team.yaml": null });
    expect(actions(await f.sync({ forcePrune: true }))).toEqual(["pruned ConfigMap/team-config", "unchanged ConfigMap/app"]);
  });

  it("a part-of label added by someone with only patch rights never makes sealsync delete or update that object", async () => {
    const f = await syncFixture("deputy");
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "1" }), "b.yaml": configMap("b", { v: "1" }) });
    await f.sync();
    const setId = applySetId("sealsync", f.namespace);
    await admin().request("POST", `/api/v1/namespaces/${f.namespace}/configmaps`, {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bystander" }, data: { precious: "yes" } },
    });
    // The confused deputy: label a foreign object (and forge a sealsync entry in its managedFields) as ours.
    await admin().request("PATCH", `${cmPath(f.namespace, "bystander")}`, {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bystander", labels: { [LABEL_PART_OF]: setId } } },
      contentType: "application/apply-patch+yaml", query: { fieldManager: "sealsync", force: "true" },
    });
    await commitFiles(f.repo, { "b.yaml": null });
    const res = await f.sync({ forcePrune: true });
    expect(actions(res)).toEqual(["pruned ConfigMap/b", "unchanged ConfigMap/a"]);
    expect(res.warnings).toEqual([`ConfigMap/bystander carries sealsync's ${LABEL_PART_OF} label but sealsync did not apply it; ignored (never pruned)`]);
    expect((await getObject(cmPath(f.namespace, "bystander")))?.data).toEqual({ precious: "yes" });
    // Naming it in Git does not take it over either.
    await commitFiles(f.repo, { "c.yaml": configMap("bystander", { precious: "no" }) });
    expect(await refusal(f.sync())).toMatch(/c\.yaml \(document 0, ConfigMap\/bystander\): ConfigMap\/bystander already exists and sealsync did not create it/);
    expect((await getObject(cmPath(f.namespace, "bystander")))?.data).toEqual({ precious: "yes" });
  });
});

describe("finding 4: the inventory never reaches outside the namespace", () => {
  it("ignores and reports cluster-scoped and unknown kinds in contains-group-kinds, even with an admin kubeconfig", async () => {
    const f = await syncFixture("clusterkinds");
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "1" }) });
    await f.sync();
    const setId = applySetId("sealsync", f.namespace);
    // Cluster-scoped objects carrying the set's label, and an inventory annotation naming their kinds.
    const victimNs = `${f.namespace}-victim`;
    await admin().request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: victimNs, labels: { [LABEL_PART_OF]: setId } } } });
    await admin().request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
      body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: `${f.namespace}-victim`, labels: { [LABEL_PART_OF]: setId } }, rules: [] },
    });
    await admin().request("PATCH", `/api/v1/namespaces/${f.namespace}/secrets/sealsync`, {
      body: { metadata: { annotations: { [ANNOTATION_GROUP_KINDS]: "ClusterRole.rbac.authorization.k8s.io,ConfigMap,Namespace,Widget.nowhere.example" } } },
      contentType: "application/merge-patch+json",
    });

    // As deploy/'s Role: no 403 from a cluster-wide list; the bad entries are named and ignored.
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "2" }) });
    const res = await f.sync();
    expect(actions(res)).toEqual(["configured ConfigMap/a"]);
    expect([...res.warnings].sort()).toEqual([
      "the inventory lists ClusterRole.rbac.authorization.k8s.io, which is cluster-scoped; ignored (sealsync never lists or deletes outside its namespace)",
      "the inventory lists Namespace, which is cluster-scoped; ignored (sealsync never lists or deletes outside its namespace)",
      "the inventory lists Widget.nowhere.example, which the API server does not serve; ignored",
    ]);

    // With cluster-admin credentials (the worst case), a revision that drops everything still deletes nothing outside.
    await admin().request("PATCH", `/api/v1/namespaces/${f.namespace}/secrets/sealsync`, {
      body: { metadata: { annotations: { [ANNOTATION_GROUP_KINDS]: "ClusterRole.rbac.authorization.k8s.io,ConfigMap,Namespace" } } },
      contentType: "application/merge-patch+json",
    });
    await commitFiles(f.repo, { "a.yaml": null, "keep.yaml": configMap("keep", { v: "1" }) });
    const client = new KubeClient(loadKubeConfig(testEnvState().controlPlane.adminKubeconfig));
    const revision = await new GitSource({ url: f.repo.url, dataDir: f.dataDir, username: f.repo.username, passwordFile: f.passwordFile, allowInsecureHttp: true }).fetch();
    const asAdmin = await reconcile(revision, { client, discovery: new Discovery(client), namespace: f.namespace, decryptors: [], forcePrune: true });
    expect(actions(asAdmin)).toEqual(["created ConfigMap/keep", "pruned ConfigMap/a"]);
    expect(await getObject(`/api/v1/namespaces/${victimNs}`)).toBeDefined();
    expect(await getObject(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${f.namespace}-victim`)).toBeDefined();
    // The parent is rewritten with only what is in the namespace.
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/secrets/sealsync`))?.metadata.annotations?.[ANNOTATION_GROUP_KINDS]).toBe("ConfigMap");
    client.close();
  });
});
