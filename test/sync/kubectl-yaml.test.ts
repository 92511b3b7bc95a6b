/**
 * YAML 1.1 manifests end to end: what kubectl applies, sealsync applies the same — checked against
 * the real API server, with kubectl's own server-side apply into a second namespace as the reference.
 */
import { describe, expect, it } from "@jest/globals";
import { AppsV1Api, BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RevisionRejectedError } from "../../src/manifests/errors.js";
import { testAssets } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { adminKubeConfig, createNamespace } from "../env/kube.js";
import { runAsync } from "../env/run.js";
import { testEnvState } from "../env/state.js";
import { actions, syncFixture } from "./helpers.js";

// A widely used pattern: scripts mounted executable, written the way kubectl users write them.
const MANIFESTS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts
  labels:
    app: backup
data:
  run.sh: |
    #!/bin/sh
    echo backing up
  on: "yes"
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  labels: &labels
    app: backup
spec:
  schedule: "0 3 * * *"
  successfulJobsHistoryLimit: 0x3
  jobTemplate:
    spec:
      backoffLimit: 1_0
      template:
        metadata:
          labels: *labels
        spec:
          restartPolicy: OnFailure
          containers:
          - name: run
            image: busybox:1.36
            command: [/scripts/run.sh]
            volumeMounts: [{name: scripts, mountPath: /scripts}]
          volumes:
          - name: scripts
            configMap:
              name: scripts
              defaultMode: 0755
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 0x0
  revisionHistoryLimit: 1_0
  selector:
    matchLabels: &sel {app: web}
  template:
    metadata:
      labels:
        <<: *sel
        tier: front
    spec:
      containers:
      - name: web
        image: nginx:1.27
`;

async function kubectlServerSideApply(namespace: string, manifests: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-kubectl-"));
  const file = path.join(dir, "manifests.yaml");
  writeFileSync(file, manifests);
  const res = await runAsync(testAssets().kubectl, ["--kubeconfig", testEnvState().controlPlane.adminKubeconfig,
    "--cache-dir", path.join(dir, "cache"), "apply", "--server-side", "-n", namespace, "-f", file]);
  expect(res.stderr).toBe("");
  expect(res.exitCode).toBe(0);
}

describe("YAML 1.1 manifests synced end to end", () => {
  it("applies a CronJob with defaultMode: 0755 (octal 493), hex and underscore numbers and merge keys exactly as kubectl does", async () => {
    const f = await syncFixture("yaml11", { role: "namespace-admin" }); // the deploy/ Role does not list CronJobs
    await commitFiles(f.repo, { "app.yaml": MANIFESTS });
    expect(actions(await f.sync())).toEqual(["created ConfigMap/scripts", "created CronJob/backup", "created Deployment/web"]);

    const reference = await createNamespace("yaml11-kubectl");
    await kubectlServerSideApply(reference, MANIFESTS);

    const kc = adminKubeConfig();
    const batch = kc.makeApiClient(BatchV1Api);
    const ours = await batch.readNamespacedCronJob({ name: "backup", namespace: f.namespace });
    const theirs = await batch.readNamespacedCronJob({ name: "backup", namespace: reference });
    expect(ours.spec?.jobTemplate.spec?.template.spec?.volumes?.[0]?.configMap?.defaultMode).toBe(0o755);
    expect(ours.spec?.successfulJobsHistoryLimit).toBe(3);
    expect(ours.spec?.jobTemplate.spec?.backoffLimit).toBe(10);
    expect(ours.spec).toEqual(theirs.spec);
    // The alias *labels: the CronJob's own labels again (sealsync adds its ApplySet label to those).
    expect(ours.metadata?.labels).toMatchObject({ app: "backup" });
    expect(ours.spec?.jobTemplate.spec?.template.metadata?.labels).toEqual({ app: "backup" });

    const apps = kc.makeApiClient(AppsV1Api);
    const web = await apps.readNamespacedDeployment({ name: "web", namespace: f.namespace });
    const webRef = await apps.readNamespacedDeployment({ name: "web", namespace: reference });
    expect(web.spec?.template.metadata?.labels).toEqual({ app: "web", tier: "front" });
    expect(web.spec).toEqual(webRef.spec);

    const core = kc.makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: "scripts", namespace: f.namespace });
    const cmRef = await core.readNamespacedConfigMap({ name: "scripts", namespace: reference });
    // YAML 1.1 reads the key `on` as the boolean true, which becomes the key "true".
    expect(Object.keys(cm.data ?? {}).sort()).toEqual(["run.sh", "true"]);
    expect(cm.data).toEqual(cmRef.data);

    // Read the same way twice: nothing left to change.
    expect(actions(await f.sync())).toEqual(["unchanged ConfigMap/scripts", "unchanged CronJob/backup", "unchanged Deployment/web"]);
  });

  it("validates the object that would be sent: a namespace merged in by << or an alias cannot slip past the check", async () => {
    const f = await syncFixture("yaml11-smuggle");
    await commitFiles(f.repo, {
      // go-yaml v2 applies a merge in place, so the merged namespace overrides the one written before it.
      "merge.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: merged\n  namespace: ${f.namespace}\n  <<: {namespace: kube-system}\n`,
      "alias.yaml": "ns: &ns kube-system\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aliased\n  namespace: *ns\n",
      // Two `name` keys: the last one is the object's name, for kubectl and for validation.
      "dup.yaml": "apiVersion: v1\nkind: Secret\nkind: ConfigMap\nmetadata:\n  name: first\n  name: second\n  namespace: kube-system\n",
    });
    const err = await f.sync().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionRejectedError);
    expect((err as RevisionRejectedError).errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^alias\.yaml \(document 0, ConfigMap\/aliased\): metadata\.namespace is "kube-system"/),
      expect.stringMatching(/^dup\.yaml \(document 0, ConfigMap\/second\): metadata\.namespace is "kube-system"/),
      expect.stringMatching(/^merge\.yaml \(document 0, ConfigMap\/merged\): metadata\.namespace is "kube-system"/),
    ]);
  });

  it("refuses a revision with a number it cannot send exactly, naming the file and line, applying nothing", async () => {
    const f = await syncFixture("yaml11-bigint");
    await commitFiles(f.repo, {
      "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata: {a: b}\n",
      "big.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\nspec:\n  replicas: 9007199254740993\n",
    });
    const err = await f.sync().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionRejectedError);
    expect((err as RevisionRejectedError).errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^big\.yaml \(document 0\): line 6: an integer beyond ±2\^53 \(16 digits\) cannot be sent exactly/),
    ]);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await expect(core.readNamespacedConfigMap({ name: "ok", namespace: f.namespace })).rejects.toThrow(/404|not found/i);
  });
});
