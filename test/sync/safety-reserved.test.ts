/**
 * Issue 11, findings 2 and 5: a Git writer owns the app, not the keys. Each attack is pushed to the real
 * Git server and synced as deploy/'s Role (a ServiceAccount named "sealsync", as deploy/ installs it),
 * and each must be refused naming the rule, file, document and object, with nothing applied.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { commitFiles } from "../env/git.js";
import { Keyring } from "../../src/crypto/keyring.js";
import { generateSealingKeyPair, loadRsaKey, sealSecret } from "../../src/crypto/sealed/index.js";
import { decryptorsFor } from "../../src/reconcile/decryptors.js";
import { RevisionRejectedError } from "../../src/manifests/errors.js";
import { startDaemon, type RunningDaemon } from "../daemon/helpers.js";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";
import { actions, configMap, syncFixture } from "./helpers.js";
import { admin, getObject } from "./safety-helpers.js";

const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const secret = (name: string, extra = "") => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n${extra}stringData:\n  keys.txt: AGE-SECRET-KEY-1ATTACKER\n`;
const podSpec = (spec: string) => `    spec:\n${spec.split("\n").map((l) => `      ${l}`).join("\n")}\n`;
const workload = (kind: string, apiVersion: string, name: string, spec: string) => `apiVersion: ${apiVersion}
kind: ${kind}
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
${podSpec(spec)}`;

async function rejection(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RevisionRejectedError);
  return (err as RevisionRejectedError).errors.map((e) => e.message);
}

describe("finding 2: a revision can never create, change or label sealsync's own objects", () => {
  it("refuses the key Secret, a key-labelled Secret, the ApplySet parent, the Lease and the ServiceAccount", async () => {
    const f = await syncFixture("reserved");
    // The key Secret deploy/ mounts, created by the operator.
    await admin().request("POST", `/api/v1/namespaces/${f.namespace}/secrets`, {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "sealsync-keys" }, data: { "keys.txt": b64("AGE-SECRET-KEY-1REAL") } },
    });
    await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "1" }) });
    await f.sync();

    await commitFiles(f.repo, {
      "app.yaml": configMap("app", { v: "2" }),
      "a-keys.yaml": secret("sealsync-keys"),
      "b-label.yaml": secret("extra-key", "  labels:\n    sealsync.dev/key: active\n"),
      "c-sealed-label.yaml": secret("controller-key", "  labels:\n    sealedsecrets.bitnami.com/sealed-secrets-key: active\n"),
      "d-parent.yaml": secret("sealsync"),
      "e-lease.yaml": "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: sealsync-leader\nspec:\n  holderIdentity: attacker\n",
      "f-sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sealsync\n",
    });
    expect(await rejection(f.sync())).toEqual([
      expect.stringMatching(/^a-keys\.yaml \(document 0, Secret\/sealsync-keys\): Secret\/sealsync-keys is one of sealsync's key Secrets; a revision may never create or change it: rename yours \(rule reserved\)$/),
      expect.stringMatching(/^b-label\.yaml \(document 0, Secret\/extra-key\): label sealsync\.dev\/key marks sealsync's key Secrets; a revision may not set it .*\(rule reserved\)$/),
      expect.stringMatching(/^c-sealed-label\.yaml \(document 0, Secret\/controller-key\): label sealedsecrets\.bitnami\.com\/sealed-secrets-key marks sealsync's key Secrets/),
      expect.stringMatching(/^d-parent\.yaml \(document 0, Secret\/sealsync\): Secret\/sealsync is sealsync's inventory \(the ApplySet parent, --applyset-name\)/),
      expect.stringMatching(/^e-lease\.yaml \(document 0, Lease\/sealsync-leader\): Lease\/sealsync-leader is sealsync's leader-election Lease \(--lease-name\).*\(rule reserved\)$/),
      expect.stringMatching(/^f-sa\.yaml \(document 0, ServiceAccount\/sealsync\): ServiceAccount\/sealsync is the one sealsync runs as.*\(rule reserved\)$/),
    ]);
    // Nothing applied, the keys untouched, the last good state kept.
    const keySecret = await getObject(`/api/v1/namespaces/${f.namespace}/secrets/sealsync-keys`);
    expect(keySecret?.data).toEqual({ "keys.txt": b64("AGE-SECRET-KEY-1REAL") });
    expect(keySecret?.metadata.labels).toBeUndefined();
    expect(await getObject(`/api/v1/namespaces/${f.namespace}/secrets/extra-key`)).toBeUndefined();
    expect(await getObject(`/apis/coordination.k8s.io/v1/namespaces/${f.namespace}/leases/sealsync-leader`)).toBeUndefined();
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/app`))?.data).toEqual({ v: "1" });

    // --key-secret names other key Secrets; an empty Secret of that name (the adopt-then-prune opener) is refused too.
    await commitFiles(f.repo, { "a-keys.yaml": null, "b-label.yaml": null, "c-sealed-label.yaml": null, "d-parent.yaml": null, "e-lease.yaml": null, "f-sa.yaml": null,
      "g.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-keys\n" });
    expect(await rejection(f.sync({ keySecrets: ["team-keys"] }))).toEqual([
      expect.stringMatching(/^g\.yaml \(document 0, Secret\/team-keys\): Secret\/team-keys is one of sealsync's key Secrets/)]);
  });

  it("refuses a SealedSecret whose template would unseal into a key-labelled Secret", async () => {
    const f = await syncFixture("sealedkey");
    const pair = await generateSealingKeyPair({ bits: 2048 });
    const keyring = Keyring.fromKeys([loadRsaKey(pair.keyPem, "test", pair.certPem)]);
    const sealed = sealSecret({
      apiVersion: "v1", kind: "Secret", data: { "keys.txt": b64("AGE-SECRET-KEY-1SMUGGLED") },
      metadata: { name: "smuggled", namespace: f.namespace, labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" } },
    }, pair.certPem);
    await commitFiles(f.repo, { "sealed.json": JSON.stringify(sealed) });
    expect(await rejection(f.sync({ decryptors: decryptorsFor(keyring, f.namespace) }))).toEqual([
      expect.stringMatching(/^sealed\.json \(document 0, Secret\/smuggled\): label sealedsecrets\.bitnami\.com\/sealed-secrets-key marks sealsync's key Secrets/)]);
    expect(await getObject(`/api/v1/namespaces/${f.namespace}/secrets/smuggled`)).toBeUndefined();
  });

  it("with --keys-from-secrets, a Git Secret carrying the key label never becomes a key: /v1/recipients keeps serving the cluster's", async () => {
    const f = await syncFixture("keylabel");
    const realKey = run(testAssets().ageKeygen, []).stdout;
    const realRecipient = /public key: (age1\S+)/.exec(realKey)?.[1];
    await admin().request("POST", `/api/v1/namespaces/${f.namespace}/secrets`, {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "cluster-age", labels: { "sealsync.dev/key": "active" } }, data: { "keys.txt": b64(realKey) } },
    });
    await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "1" }) });
    const d = await startDaemon(f, ["--interval", "500ms", "--no-leader-election", "--keys-from-secrets"]);
    running.push(d);
    await d.waitForLog((l) => l.msg === "synced", 30_000, "the first sync");

    const attackerKey = run(testAssets().ageKeygen, []).stdout;
    const bad = await commitFiles(f.repo, {
      "app.yaml": configMap("app", { v: "2" }),
      // A new key by label, and an unlabelled overwrite of the live key Secret by name.
      "evil.yaml": `apiVersion: v1\nkind: Secret\nmetadata:\n  name: evil-key\n  labels:\n    sealsync.dev/key: active\ndata:\n  keys.txt: ${b64(attackerKey)}\n`,
    });
    const failed = await d.waitForLog((l) => String(l.msg).startsWith("sync failed") && l.revision === bad, 30_000, "the refusal");
    expect(String(failed.err)).toMatch(/evil\.yaml \(document 0, Secret\/evil-key\): label sealsync\.dev\/key marks sealsync's key Secrets/);
    const overwrite = await commitFiles(f.repo, { "evil.yaml": `apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-age\ndata:\n  keys.txt: ${b64(attackerKey)}\n` });
    const failed2 = await d.waitForLog((l) => String(l.msg).startsWith("sync failed") && l.revision === overwrite, 30_000, "the second refusal");
    expect(String(failed2.err)).toMatch(/evil\.yaml \(document 0, Secret\/cluster-age\): the live Secret\/cluster-age is labelled sealsync\.dev\/key, one of sealsync's key Secrets; a revision may never change it \(rule reserved\)/);

    const recipients = await (await fetch(`${d.url}/v1/recipients`)).text();
    expect(recipients).toContain(realRecipient);
    expect(recipients).not.toContain(/public key: (age1\S+)/.exec(attackerKey)?.[1]);
    expect(await getObject(`/api/v1/namespaces/${f.namespace}/secrets/evil-key`)).toBeUndefined();
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/secrets/cluster-age`))?.data).toEqual({ "keys.txt": b64(realKey) });
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/app`))?.data).toEqual({ v: "1" });
  });
});

describe("finding 5: workloads from Git can never take the keys or sealsync's identity", () => {
  it("refuses every workload kind that mounts or reads a key Secret or runs as sealsync's ServiceAccount", async () => {
    const f = await syncFixture("takekeys");
    await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "1" }) });
    await f.sync();
    const container = "containers:\n  - name: c\n    image: busybox";
    await commitFiles(f.repo, {
      "app.yaml": configMap("app", { v: "2" }),
      "deploy.yaml": workload("Deployment", "apps/v1", "mount", `${container}\nvolumes:\n  - name: k\n    secret:\n      secretName: sealsync-keys`),
      "sts.yaml": workload("StatefulSet", "apps/v1", "projected", `${container}\nvolumes:\n  - name: k\n    projected:\n      sources:\n        - secret:\n            name: sealsync-keys`),
      "ds.yaml": workload("DaemonSet", "apps/v1", "env", `containers:\n  - name: c\n    image: busybox\n    env:\n      - name: K\n        valueFrom:\n          secretKeyRef: {name: sealsync-keys, key: keys.txt}`),
      "job.yaml": `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: as-sealsync\nspec:\n  template:\n${podSpec("serviceAccountName: sealsync\nrestartPolicy: Never\n" + container)}`,
      "cron.yaml": `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: envfrom\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: c\n              image: busybox\n              envFrom:\n                - secretRef: {name: sealsync-keys}\n`,
      "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  serviceAccount: sealsync\n  containers:\n    - name: c\n      image: busybox\n",
      "token.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen-token\n  annotations:\n    kubernetes.io/service-account.name: sealsync\ntype: kubernetes.io/service-account-token\n",
      "rb.yaml": `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: open\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: sealsync}\nsubjects:\n  - {kind: ServiceAccount, name: thief, namespace: kube-system}\n  - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:unauthenticated}\n  - {kind: User, apiGroup: rbac.authorization.k8s.io, name: system:anonymous}\n  - {kind: ServiceAccount, name: app, namespace: ${f.namespace}}\n`,
    });
    expect(await rejection(f.sync())).toEqual([
      expect.stringMatching(/^cron\.yaml \(document 0, CronJob\/envfrom\): envFrom of container c reads sealsync's key Secret sealsync-keys; a workload from Git may never read the keys \(rule key-access\)$/),
      expect.stringMatching(/^deploy\.yaml \(document 0, Deployment\/mount\): volume k reads sealsync's key Secret sealsync-keys.*\(rule key-access\)$/),
      expect.stringMatching(/^ds\.yaml \(document 0, DaemonSet\/env\): env K of container c reads sealsync's key Secret sealsync-keys/),
      expect.stringMatching(/^job\.yaml \(document 0, Job\/as-sealsync\): its pods would run as sealsync's ServiceAccount "sealsync".*\(rule key-access\)$/),
      expect.stringMatching(/^pod\.yaml \(document 0, Pod\/bare\): its pods would run as sealsync's ServiceAccount "sealsync"/),
      expect.stringMatching(/^rb\.yaml \(document 0, RoleBinding\/open\): subject ServiceAccount kube-system\/thief is in another namespace; .*\(rule foreign-subject\)$/),
      expect.stringMatching(/^rb\.yaml \(document 0, RoleBinding\/open\): subject Group system:unauthenticated is anyone, unauthenticated/),
      expect.stringMatching(/^rb\.yaml \(document 0, RoleBinding\/open\): subject User system:anonymous is anyone, unauthenticated/),
      expect.stringMatching(/^sts\.yaml \(document 0, StatefulSet\/projected\): projected volume k reads sealsync's key Secret sealsync-keys/),
      expect.stringMatching(/^token\.yaml \(document 0, Secret\/stolen-token\): a service-account-token Secret for sealsync's ServiceAccount "sealsync".*\(rule key-access\)$/),
    ]);
    expect(await getObject(`/apis/apps/v1/namespaces/${f.namespace}/deployments/mount`)).toBeUndefined();
    expect(await getObject(`/api/v1/namespaces/${f.namespace}/secrets/stolen-token`)).toBeUndefined();
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/app`))?.data).toEqual({ v: "1" });

    // The app's own workloads, with their own ServiceAccount and Secrets, are applied as before.
    await commitFiles(f.repo, {
      "deploy.yaml": workload("Deployment", "apps/v1", "web", "serviceAccountName: web\ncontainers:\n  - name: c\n    image: busybox\n    envFrom:\n      - secretRef: {name: web-env}")
        .replace("spec:\n  selector", "spec:\n  replicas: 0\n  selector"),
      "sts.yaml": null, "ds.yaml": null, "job.yaml": null, "cron.yaml": null, "pod.yaml": null, "token.yaml": null, "rb.yaml": null,
    });
    expect(actions(await f.sync())).toEqual(["configured ConfigMap/app", "created Deployment/web"]);
  });
});
