/** Interoperability of the sync engine: CRD fields survive, other field managers, and kubectl's ApplySet reading. */
import { describe, expect, it } from "@jest/globals";
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { testAssets } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { adminKubeConfig, createWidgetCrd } from "../env/kube.js";
import { run } from "../env/run.js";
import { testEnvState } from "../env/state.js";
import { actions, configMap, syncFixture } from "./helpers.js";

describe("sync keeps what the API server knows", () => {
  it("sends custom resources verbatim: nested and unknown-to-the-client fields survive", async () => {
    const f = await syncFixture("crd", { role: "namespace-admin" }); // the deploy/ Role lists the example app's kinds only
    const group = `${f.namespace}.example.test`;
    await createWidgetCrd(group, { type: "object", x_kubernetes_preserve_unknown_fields: true }, f.namespace);
    const admin = new KubeClient(loadKubeConfig(testEnvState().controlPlane.adminKubeconfig));
    await commitFiles(f.repo, {
      "widget.yaml": `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n  futureField:\n    nested: [1, "two", {three: true}]\n`,
    });
    expect(actions(await f.sync())).toEqual(["created Widget/w"]);
    const { body } = await admin.request<{ spec: unknown }>("GET", `/apis/${group}/v1/namespaces/${f.namespace}/widgets/w`);
    expect(body.spec).toEqual({ size: 3, futureField: { nested: [1, "two", { three: true }] } });
    expect(actions(await f.sync())).toEqual(["unchanged Widget/w"]);
  });

  it("reverts an edit by another field manager to a field in Git, and leaves fields Git does not mention", async () => {
    const f = await syncFixture("edit");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { mode: "blue" }) });
    await f.sync();
    // What `kubectl edit` does: an Update under its own field manager.
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await core.patchNamespacedConfigMap(
      { name: "app", namespace: f.namespace, fieldManager: "kubectl-edit",
        body: { metadata: { labels: { "edited-by": "hand" } }, data: { mode: "red", debug: "true" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(actions(await f.sync())).toEqual(["configured ConfigMap/app"]);
    const live = await core.readNamespacedConfigMap({ name: "app", namespace: f.namespace });
    expect(live.data).toEqual({ mode: "blue", debug: "true" });
    expect(live.metadata?.labels?.["edited-by"]).toBe("hand");
    expect(actions(await f.sync())).toEqual(["unchanged ConfigMap/app"]);
  });
});

describe("the ApplySet inventory as kubectl reads it", () => {
  it("is recognised by the real kubectl, which refuses to take over a set managed by sealsync", async () => {
    const f = await syncFixture("applyset");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { mode: "blue" }) });
    await f.sync();
    const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-kubectl-"));
    writeFileSync(path.join(dir, "cm.yaml"), configMap("other", { a: "1" }));
    const { adminKubeconfig } = testEnvState().controlPlane;
    const res = run(testAssets().kubectl, ["--kubeconfig", adminKubeconfig, "--cache-dir", path.join(dir, "cache"),
      "apply", "--server-side", "--prune", "--applyset=sealsync", "-n", f.namespace, "-f", path.join(dir, "cm.yaml")],
    { env: { KUBECTL_APPLYSET: "true" } });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toBe(`error: ApplySet parent object "secrets./sealsync" already exists and is managed by tooling "sealsync" instead of "kubectl"\n`);
    // kubectl changed nothing: its object was not created.
    await expect(adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "other", namespace: f.namespace }))
      .rejects.toThrow(/404|not found/i);
  });
});
