/**
 * `sealsync sync --once` and `plan` as a user runs them (the built CLI, as the namespaced Role), with
 * Secrets encrypted by the real sops and sealed by the real kubeseal.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api } from "@kubernetes/client-node";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { testAssets, repoRoot } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { makeTestKeys, secretYaml, sopsEncrypt as encrypt, type TestKeys } from "../env/keys.js";
import { adminKubeConfig } from "../env/kube.js";
import { run, runAsync, type RunResult } from "../env/run.js";
import { configMap, syncFixture, type SyncFixture } from "./helpers.js";

const CANARY = "canary-7f3a9c-do-not-print";
const assets = testAssets();
const cli = path.join(repoRoot, "dist/cli/sealsync.js");

let keys: TestKeys;

beforeAll(async () => {
  keys = await makeTestKeys();
});

const sopsEncrypt = (yaml: string) => encrypt(yaml, keys.ageRecipient);

function kubeseal(secretYaml: string, namespace: string): string {
  const res = run(assets.kubeseal, ["--cert", keys.certFile, "--format", "yaml", "--namespace", namespace], { input: secretYaml });
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return res.stdout;
}

function sealsync(f: SyncFixture, command: string, extra: string[] = []): Promise<RunResult> {
  return runAsync(process.execPath, [cli, command, "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
    "--keys", keys.dir, "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile, ...extra]);
}

async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
  const s = await adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedSecret({ name, namespace });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
}

describe("sealsync sync --once with encrypted Secrets", () => {
  it("applies a sops Secret and a kubeseal SealedSecret decrypted, and plan hides values but names changed keys", async () => {
    const f = await syncFixture("secrets");
    await commitFiles(f.repo, {
      "app/config.yaml": configMap("app", { mode: "blue" }),
      "app/db.sops.yaml": sopsEncrypt(secretYaml("db", { password: CANARY, user: "app" })),
      "app/api.sealed.yaml": kubeseal(secretYaml("api", { token: `${CANARY}-sealed` }), f.namespace),
    }, { message: "add app with secrets" });

    const res = await sealsync(f, "sync", ["--once"]);
    expect(res.stderr).toBe("");
    expect(res.exitCode).toBe(0);
    expect(res.stdout.split("\n")).toEqual([
      expect.stringMatching(/^revision [0-9a-f]{12} \(HEAD\) by Test Author: "add app with secrets"$/),
      "created ConfigMap/app",
      "created Secret/api",
      "created Secret/db",
      "synced: 3 created, 0 configured, 0 unchanged, 0 pruned, 0 failed",
      "",
    ]);
    expect(await secretData(f.namespace, "db")).toEqual({ password: CANARY, user: "app" });
    expect(await secretData(f.namespace, "api")).toEqual({ token: `${CANARY}-sealed` });

    await commitFiles(f.repo, {
      "app/db.sops.yaml": sopsEncrypt(secretYaml("db", { password: `${CANARY}-v2`, user: "app", extra: `${CANARY}-new` })),
    });
    const plan = await sealsync(f, "plan");
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toContain("~ configure Secret/db (decrypted in memory: sops, key age1");
    expect(plan.stdout).toContain("    data.extra: added (value hidden)");
    expect(plan.stdout).toContain("    data.password: changed (value hidden)");
    expect(plan.stdout).toContain("plan: 0 to create, 1 to configure, 0 to prune, 2 unchanged");
    expect(plan.stdout + plan.stderr).not.toContain(CANARY);
    expect(Buffer.from(plan.stdout).toString()).not.toContain(Buffer.from(CANARY).toString("base64").slice(0, 16));
    // plan changed nothing
    expect(await secretData(f.namespace, "db")).toEqual({ password: CANARY, user: "app" });
  });

  it("hides every value of any encrypted document in plan, not only Secrets (a SOPS-encrypted ConfigMap)", async () => {
    const f = await syncFixture("enccm");
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: creds\ndata:\n  dsn: ${v}\n`;
    const enc = (yaml: string) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-sops-"));
      writeFileSync(path.join(dir, "cm.yaml"), yaml);
      return run(assets.sops, ["encrypt", "--age", keys.ageRecipient, "--encrypted-regex", "^data$", path.join(dir, "cm.yaml")]).stdout;
    };
    await commitFiles(f.repo, { "cm.yaml": enc(cm(`${CANARY}-dsn-1`)) });
    expect((await sealsync(f, "sync")).exitCode).toBe(0);
    await commitFiles(f.repo, { "cm.yaml": enc(cm(`${CANARY}-dsn-2`)) });
    const plan = await sealsync(f, "plan");
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toContain("~ configure ConfigMap/creds (decrypted in memory: sops");
    expect(plan.stdout).toContain("    data.dsn: changed (value hidden)");
    expect(plan.stdout + plan.stderr).not.toContain(CANARY);
  });

  it("refuses a revision with a tampered sops file (MAC), naming the file, applying nothing and printing no value", async () => {
    const f = await syncFixture("tamper");
    const good = sopsEncrypt(secretYaml("db", { password: CANARY }));
    await commitFiles(f.repo, { "db.yaml": good, "cm.yaml": configMap("cm", { v: "1" }) });
    expect((await sealsync(f, "sync")).exitCode).toBe(0);

    // Swap in the encrypted value of another file: authentic ciphertext, wrong place.
    const other = sopsEncrypt(secretYaml("db", { password: `${CANARY}-other` }));
    const valueOf = (y: string) => /password: (ENC\[[^\]]+\])/.exec(y)?.[1] ?? "";
    await commitFiles(f.repo, { "db.yaml": good.replace(valueOf(good), valueOf(other)), "cm.yaml": configMap("cm", { v: "2" }) });
    const res = await sealsync(f, "sync");
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/refused, nothing applied \(1 problem\):\n {2}- db\.yaml \(document 0, Secret\/db\): /);
    expect(res.stdout + res.stderr).not.toContain(CANARY);
    expect(await secretData(f.namespace, "db")).toEqual({ password: CANARY });
    const cm = await adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "cm", namespace: f.namespace });
    expect(cm.data).toEqual({ v: "1" });
  });

  it("refuses encrypted documents when no key is configured, saying how to configure one", async () => {
    const f = await syncFixture("nokeys");
    await commitFiles(f.repo, { "db.yaml": sopsEncrypt(secretYaml("db", { password: CANARY })) });
    const res = await runAsync(process.execPath, [cli, "sync", "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
      "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain("db.yaml (document 0, Secret/db): SOPS-encrypted, but no keys are configured to decrypt it: mount the key Secret and pass --keys DIR");
  });

  it("explains bad flags and bad credentials without printing the token", async () => {
    const f = await syncFixture("flags");
    const both = await runAsync(process.execPath, [cli, "sync", "--repo", f.repo.url, "--dir", "/tmp", "--kubeconfig", f.kubeconfig]);
    expect(both).toEqual({ exitCode: 2, stdout: "", stderr: "error: invalid flags: give exactly one of --repo URL or --dir PATH\n" });
    const inUrl = await runAsync(process.execPath, [cli, "sync", "--repo", f.repo.url.replace("http://", "http://u:secret-token@"), "--kubeconfig", f.kubeconfig]);
    expect(inUrl.exitCode).toBe(2);
    expect(inUrl.stderr).toContain("--repo must not contain credentials");
    expect(inUrl.stderr).not.toContain("secret-token");

    const wrong = path.join(f.dataDir, "wrong-token");
    writeFileSync(wrong, "wrong-token-value\n");
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "1" }) });
    const res = await runAsync(process.execPath, [cli, "sync", "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
      "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", wrong]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toBe(`error: fetch ${f.repo.url}: authentication failed: check --git-username and the token in --git-password-file / SEALSYNC_GIT_PASSWORD\n`);
  });
});

describe("sealsync sync --dir", () => {
  it("syncs a local folder, skipping dot-folders, non-manifests and symlinks with a warning", async () => {
    const f = await syncFixture("dir");
    const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-dir-"));
    mkdirSync(path.join(dir, ".hidden"));
    writeFileSync(path.join(dir, ".hidden/x.yaml"), configMap("hidden", { v: "1" }));
    writeFileSync(path.join(dir, "a.yaml"), configMap("a", { v: "1" }));
    writeFileSync(path.join(dir, "notes.txt"), "not a manifest");
    run("ln", ["-s", "/etc/passwd", path.join(dir, "evil.yaml")]);
    const res = await runAsync(process.execPath, [cli, "sync", "--dir", dir, "-n", f.namespace, "--kubeconfig", f.kubeconfig]);
    expect(res.stderr).toBe("warning: evil.yaml: symlink ignored (symlinks are never followed)\n");
    expect(res.stdout).toMatch(/^revision [0-9a-f]{12} \(dir:.*\)\ncreated ConfigMap\/a\nsynced: 1 created/);
  });
});
