/**
 * Every action the daemon takes leaves its audit entry during real syncs, the chain verifies with the
 * real CLI, and the log is served read-only on the daemon's port.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { repoRoot } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { adminKubeConfig } from "../env/kube.js";
import { makeTestKeys, secretYaml, sopsEncrypt, type TestKeys } from "../env/keys.js";
import { run } from "../env/run.js";
import { testEnvState } from "../env/state.js";
import { configMap, syncFixture } from "../sync/helpers.js";
import { startDaemon, until, type RunningDaemon } from "./helpers.js";

const running: RunningDaemon[] = [];
let keys: TestKeys;
beforeAll(async () => {
  keys = await makeTestKeys();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

describe("the audit log of a real daemon", () => {
  it("has an entry for every kind of action, verifies, and is served on /v1/audit", async () => {
    const f = await syncFixture("auditall");
    // The daemon's keys live in a folder it watches, so adding a key is a key reload.
    const keyDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-keydir-"));
    copyFileSync(path.join(keys.dir, "keys.txt"), path.join(keyDir, "keys.txt"));
    const hmacFile = path.join(f.dataDir, "audit-hmac");
    writeFileSync(hmacFile, "0123456789abcdef0123456789abcdef");
    await commitFiles(f.repo, {
      "a.yaml": configMap("a", { v: "1" }), "b.yaml": configMap("b", { v: "1" }),
      "db.yaml": sopsEncrypt(secretYaml("db", { password: "pw-1" }), keys.ageRecipient),
    });
    const d = await startDaemon(f, ["--interval", "500ms", "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "300ms",
      "--audit-hmac-key-file", hmacFile], { keysDir: keyDir });
    running.push(d);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const logFile = path.join(f.dataDir, "audit", "audit.jsonl");
    const actions = () => readFileSync(logFile, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { action: string }).action);
    await until("first sync", async () => actions().includes("sync-finished"));

    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "2" }), "b.yaml": null, "c.yaml": configMap("c", { v: "1" }) });
    await until("configured and pruned", async () => actions().includes("object-configured") && actions().includes("object-pruned"));
    await core.patchNamespacedConfigMap({ name: "a", namespace: f.namespace, fieldManager: "kubectl-edit", body: { data: { v: "x" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    await until("drift corrected", async () => actions().includes("drift-corrected"));
    await commitFiles(f.repo, { "bad.yaml": configMap("bad", { v: "1" }).replace("name: bad", "name: bad\n  namespace: elsewhere") });
    await until("rejected and failed", async () => actions().includes("rejected") && actions().includes("sync-failed"));
    const failures = () => readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action: string; reason?: string })
      .filter((e) => e.action === "sync-failed").map((e) => e.reason);
    expect(failures()[0]).toBe("ValidationFailed");
    // A document no configured key opens: the closed reason says so.
    const stranger = await makeTestKeys();
    await commitFiles(f.repo, { "bad.yaml": null, "other.yaml": sopsEncrypt(secretYaml("other", { password: "pw-x" }), stranger.ageRecipient) });
    await until("decrypt failure", async () => failures().includes("DecryptFailed"));
    await commitFiles(f.repo, { "other.yaml": null });
    run("age-keygen", ["-o", path.join(keyDir, "second.agekey")]);
    await until("key reload", async () => actions().includes("key-reload"));
    // Someone else takes the Lease: the daemon must notice it lost it.
    const admin = new KubeClient(loadKubeConfig(testEnvState().controlPlane.adminKubeconfig));
    await admin.request("PATCH", `/apis/coordination.k8s.io/v1/namespaces/${f.namespace}/leases/sealsync-leader`, {
      body: { spec: { holderIdentity: "someone-else", renewTime: new Date().toISOString().replace("Z", "000Z").replace(/\.(\d{3})000Z$/, ".$1000Z") } },
      contentType: "application/merge-patch+json",
    });
    await until("leader lost", async () => actions().includes("leader-lost"), 15_000);
    admin.close();
    expect(await d.stop("SIGTERM")).toBe(0);

    expect(new Set(actions())).toEqual(new Set(["daemon-start", "leader-acquired", "sync-started", "decrypted", "object-created",
      "sync-finished", "object-configured", "object-pruned", "drift-corrected", "rejected", "sync-failed", "key-reload",
      "leader-lost", "daemon-stop", "revision-health"]));
    const verify = run(process.execPath, [path.join(repoRoot, "dist/cli/sealsync.js"), "audit", "verify", "--log", logFile, "--hmac-key-file", hmacFile]);
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toMatch(/^\d+ entries, chain intact from #1 .* to #\d+/);
    const decrypted = readFileSync(logFile, "utf8").split("\n").find((l) => l.includes('"decrypted"')) ?? "";
    expect(JSON.parse(decrypted)).toMatchObject({ file: "db.yaml", document: 0, format: "sops", keyId: keys.ageRecipient, kind: "Secret", name: "db" });
    expect(readFileSync(logFile, "utf8")).not.toContain("pw-1");
  });

  it("serves the log read-only over HTTP as JSON lines and CSV", async () => {
    const f = await syncFixture("audithttp");
    await commitFiles(f.repo, { "a.yaml": configMap("a", { v: "1" }) });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "1h"]);
    running.push(d);
    await until("first sync", async () => (await (await fetch(`${d.url}/v1/audit`)).text()).includes("sync-finished"));
    const csv = await (await fetch(`${d.url}/v1/audit?format=csv`)).text();
    expect(csv.split("\n")[0]).toMatch(/^seq,ts,action,/);
    expect(csv).toContain("object-created");
    expect((await fetch(`${d.url}/v1/audit`, { method: "DELETE" })).status).toBe(405);
  });
});
