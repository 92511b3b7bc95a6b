/**
 * A real repository shape against the real apiserver: base + overlay, a SOPS Secret, a secretGenerator
 * fed a SOPS .env and a SealedSecret, built by the real kustomize through `sealsync sync --once` as a user
 * runs it. kustomize is run through a wrapper that records its arguments, stdin, stderr and a copy of the
 * tree it was given (mid-build), so the test can prove no secret ever reached it.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot, testAssets } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { makeTestKeys, secretYaml, type TestKeys } from "../env/keys.js";
import { adminKubeConfig } from "../env/kube.js";
import { runAsync, type RunResult } from "../env/run.js";
import { syncFixture, type SyncFixture } from "../sync/helpers.js";
import { startDaemon } from "../daemon/helpers.js";
import { kubeseal, sopsEncryptAs } from "./helpers.js";

const CANARY = "canary-kz-5d1e-never-anywhere";
const cli = path.join(repoRoot, "dist/cli/sealsync.js");
let keys: TestKeys;

beforeAll(async () => {
  keys = await makeTestKeys();
});

/** A kustomize that records what it is given, then runs the real one. */
function recordingKustomize(): { command: string; log: string } {
  const log = mkdtempSync(path.join(os.tmpdir(), "sealsync-klog-"));
  const command = path.join(log, "kustomize");
  writeFileSync(command, `#!/bin/sh
n=$(date +%s%N)
printf '%s\\n' "$*" >> "${log}/args"
cat >> "${log}/stdin"
cp -r "$PWD" "${log}/tree-$n"
"${testAssets().kustomize}" "$@" 2> "${log}/stderr-$n"
rc=$?
cat "${log}/stderr-$n" >&2
exit $rc
`);
  chmodSync(command, 0o755);
  return { command, log };
}

/** Every file under a folder, as text (binary files included: a canary would show up as bytes). */
function allText(dir: string): string {
  let out = "";
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    out += st.isDirectory() ? allText(p) : `${readFileSync(p).toString("latin1")}\n`;
  }
  return out;
}

function repoFiles(ns: string, values: { db: string; env: string; api: string }, encrypt: (name: string, text: string) => string) {
  return {
    "base/kustomization.yaml": "resources:\n  - web.yaml\n  - db.sops.yaml\n  - api.sealed.yaml\n" +
      "secretGenerator:\n  - name: app-env\n    envs: [app.sops.env]\nconfigMapGenerator:\n  - name: settings\n    literals: [MODE=blue]\n",
    "base/web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 0
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - secretRef: {name: app-env}
            - configMapRef: {name: settings}
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: api, key: token}}
`,
    "base/db.sops.yaml": encrypt("db.yaml", secretYaml("db", { password: values.db, user: "app" })),
    "base/app.sops.env": encrypt("app.env", `API_KEY=${values.env}\nLOG_LEVEL=debug\n`),
    "base/api.sealed.yaml": kubeseal(secretYaml("api", { token: values.api }), ns, keys.certFile),
    "overlays/staging/kustomization.yaml": `namespace: ${ns}\nresources:\n  - ../../base\n  - namespace.yaml\ncommonLabels:\n  env: staging\n`,
    "overlays/staging/namespace.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
    "unrelated/secret.txt": `${CANARY} this file is reached by nothing\n`,
  };
}

describe("sealsync sync --once of a kustomize overlay with encrypted sources", () => {
  let f: SyncFixture;
  let kustomize: { command: string; log: string };
  const sync = (): Promise<RunResult> => runAsync(process.execPath, [cli, "sync", "--once", "--repo", f.repo.url, "--path", "overlays/staging",
    "-n", f.namespace, "--kubeconfig", f.kubeconfig, "--keys", keys.dir, "--data-dir", f.dataDir,
    "--git-username", f.repo.username, "--git-password-file", f.passwordFile, "--kustomize-command", kustomize.command]);
  const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
  const secretData = async (name: string) => {
    const s = await core().readNamespacedSecret({ name, namespace: f.namespace });
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
  };
  const generatedName = (out: string) => /Secret\/(app-env-[a-z0-9]{10})/.exec(out)?.[1];

  it("applies, keeps generated names on re-encryption, renames and prunes on a value change, and never hands kustomize a secret", async () => {
    f = await syncFixture("kustomize");
    kustomize = recordingKustomize();
    const encrypt = (name: string, text: string) => sopsEncryptAs(name, text, keys.ageRecipient,
      name.endsWith(".env") ? [] : ["--encrypted-regex", "^(data|stringData)$"]);
    const v1 = { db: `${CANARY}-db`, env: `${CANARY}-env`, api: `${CANARY}-api` };
    await commitFiles(f.repo, repoFiles(f.namespace, v1, encrypt), { message: "overlay" });

    // 1. First sync: everything created, the managed Namespace skipped with a warning.
    const first = await sync();
    expect(first.stderr).toBe("warning: kustomize (overlays/staging/kustomization.yaml): Warning: 'commonLabels' is deprecated. Please use 'labels' " +
      "instead. Run 'kustomize edit fix' to update your Kustomization automatically.\n" +
      `warning: kustomize build overlays/staging: Namespace/${f.namespace} skipped: it is the namespace sealsync manages, not an object it applies\n`);
    expect(first.exitCode).toBe(0);
    const name1 = generatedName(first.stdout);
    expect(name1).toBeDefined();
    expect(first.stdout.split("\n").slice(1)).toEqual([
      expect.stringMatching(/^created ConfigMap\/settings-[a-z0-9]{10}$/),
      "created Secret/api", `created Secret/${name1}`, "created Secret/db",
      "created Deployment/web",
      "synced: 5 created, 0 configured, 0 unchanged, 0 pruned, 0 failed", "",
    ]);
    expect(await secretData(name1 as string)).toEqual({ API_KEY: v1.env, LOG_LEVEL: "debug" });
    expect(await secretData("db")).toEqual({ password: v1.db, user: "app" });
    expect(await secretData("api")).toEqual({ token: v1.api });
    // The pod's references resolve to what exists.
    const web = await adminKubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name: "web", namespace: f.namespace });
    const container = web.spec?.template.spec?.containers[0];
    expect(container?.envFrom?.[0]?.secretRef?.name).toBe(name1);
    expect(web.metadata?.labels?.env).toBe("staging");

    // 2. Re-encrypted (new data keys, same values): nothing changes in the cluster.
    await commitFiles(f.repo, repoFiles(f.namespace, v1, encrypt), { message: "re-encrypt" });
    const again = await sync();
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("synced: 0 created, 0 configured, 5 unchanged, 0 pruned, 0 failed");
    expect(generatedName(again.stdout)).toBe(name1);

    // 3. A changed value: a new generated name, the Deployment points at it, the old one pruned after.
    const v2 = { ...v1, env: `${CANARY}-env-v2` };
    await commitFiles(f.repo, repoFiles(f.namespace, v2, encrypt), { message: "rotate API key" });
    const changed = await sync();
    expect(changed.exitCode).toBe(0);
    const name2 = /created Secret\/(app-env-[a-z0-9]{10})/.exec(changed.stdout)?.[1];
    expect(name2).toBeDefined();
    expect(name2).not.toBe(name1);
    const lines = changed.stdout.split("\n");
    expect(lines.indexOf(`pruned Secret/${name1}`)).toBeGreaterThan(lines.indexOf(`created Secret/${name2}`));
    expect(lines.indexOf(`pruned Secret/${name1}`)).toBeGreaterThan(lines.indexOf("configured Deployment/web"));
    expect(await secretData(name2 as string)).toEqual({ API_KEY: v2.env, LOG_LEVEL: "debug" });
    await expect(core().readNamespacedSecret({ name: name1 as string, namespace: f.namespace })).rejects.toThrow();

    // 4. The canary is nowhere kustomize or the disk could see it, nor in any output or Event.
    const trees = readdirSync(kustomize.log).filter((n) => n.startsWith("tree-"));
    expect(trees.length).toBe(3);
    const seen = allText(kustomize.log);
    expect(seen).toContain("sealsyncph"); // the copies are real: they hold the placeholders
    expect(seen).not.toContain(CANARY);
    expect(seen).not.toContain(Buffer.from(CANARY).toString("base64").slice(0, 20));
    expect(readFileSync(path.join(kustomize.log, "args"), "utf8")).not.toContain(CANARY);
    expect(readdirSync(path.join(f.dataDir, "kustomize"))).toEqual([]); // temporary trees removed
    expect(allText(f.dataDir)).not.toContain(CANARY);
    for (const r of [first, again, changed]) expect(r.stdout + r.stderr).not.toContain(CANARY);
    const events = await core().listNamespacedEvent({ namespace: f.namespace });
    expect(JSON.stringify(events)).not.toContain(CANARY);
  });

  it("plan shows the built objects with encrypted values hidden", async () => {
    const plan = await runAsync(process.execPath, [cli, "plan", "--repo", f.repo.url, "--path", "overlays/staging",
      "-n", f.namespace, "--kubeconfig", f.kubeconfig, "--keys", keys.dir, "--data-dir", f.dataDir,
      "--git-username", f.repo.username, "--git-password-file", f.passwordFile, "--kustomize-command", kustomize.command]);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toContain("plan: 0 to create, 0 to configure, 0 to prune, 5 unchanged");
    expect(plan.stdout + plan.stderr).not.toContain(CANARY);
  });

  it("the daemon applies a changed overlay and its audit log and Events never hold a value", async () => {
    const encrypt = (name: string, text: string) => sopsEncryptAs(name, text, keys.ageRecipient,
      name.endsWith(".env") ? [] : ["--encrypted-regex", "^(data|stringData)$"]);
    const v3 = { db: `${CANARY}-db-v3`, env: `${CANARY}-env-v3`, api: `${CANARY}-api-v3` };
    await commitFiles(f.repo, repoFiles(f.namespace, v3, encrypt), { message: "rotate all" });
    const d = await startDaemon(f, ["--path", "overlays/staging", "--kustomize-command", kustomize.command, "--no-leader-election"], { keysDir: keys.dir });
    try {
      const synced = await d.waitForLog((l) => l.msg === "synced", 60_000, "the first sync");
      expect(synced).toMatchObject({ created: 1, pruned: 1 });
      expect(await secretData("db")).toEqual({ password: v3.db, user: "app" });
      expect(d.lines.some((l) => String(l.msg).includes(`Namespace/${f.namespace} skipped`))).toBe(true);
    } finally {
      expect(await d.stop()).toBe(0);
    }
    const audit = readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8");
    expect(audit).toContain("object-created");
    expect(audit).not.toContain(CANARY);
    expect(d.stdout() + d.stderr()).not.toContain(CANARY);
    expect(allText(f.dataDir)).not.toContain(CANARY);
    expect(allText(kustomize.log)).not.toContain(CANARY);
    const events = await core().listNamespacedEvent({ namespace: f.namespace });
    expect(events.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(CANARY);
  });
});
