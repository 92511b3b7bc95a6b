/**
 * Issue 11, finding 1: the API server quotes the values it refuses ("Invalid value: \"…\""). For an
 * object that was decrypted, none of its text may leave sealsync: the attack plants values the API
 * server refuses in three SOPS documents and hunts for them everywhere a reader could look — stderr,
 * the JSON log, Events (readable by the built-in `view` role), the audit log and /v1/audit, /readyz,
 * /metrics, the status annotation and the data dir. Also: `sealsync sync --once` writes audit entries.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { makeTestKeys, type TestKeys } from "../env/keys.js";
import { createWidgetCrd } from "../env/kube.js";
import { runAsync, type RunResult } from "../env/run.js";
import { startDaemon, until, type RunningDaemon } from "../daemon/helpers.js";
import { configMap, syncFixture, type SyncFixture } from "./helpers.js";
import { eventMessages, filesUnder, getObject, leaks, sopsEncryptFields } from "./safety-helpers.js";

const cli = path.join(repoRoot, "dist/cli/sealsync.js");
const PIN = "424242";
const LABEL = 'Hunter2 "pass" word';
const PASSWORD = "S3cr3tPa55-word";
/** What must never show up: the values, and their telltale parts in any escaping. */
const PLANTED = [PIN, "Hunter2", "pass\\\" word", PASSWORD, "S3cr3tPa55"];

let keys: TestKeys;
const running: RunningDaemon[] = [];
beforeAll(async () => {
  keys = await makeTestKeys();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

const leakySecret = () => sopsEncryptFields(
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaky-secret\ntype: Opaque\nstringData:\n  pin: ${PIN}\n`, keys.ageRecipient, "^stringData$");
const leakyConfigMap = () => sopsEncryptFields(
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky-cm\n  labels:\n    tier: '${LABEL}'\ndata:\n  mode: blue\n`, keys.ageRecipient, "^labels$");

function sealsync(f: SyncFixture, extra: string[] = []): Promise<RunResult> {
  return runAsync(process.execPath, [cli, "sync", "--once", "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
    "--keys", keys.dir, "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile, ...extra]);
}

describe("finding 1: no API-server text about a decrypted object leaves the process", () => {
  it("the daemon refuses values the API server rejects, names the fields, and leaks them nowhere", async () => {
    const f = await syncFixture("leak", { role: "namespace-admin" }); // the custom resource needs more than deploy/'s kinds
    const group = `${f.namespace}.example.test`;
    await createWidgetCrd(group, { type: "object", properties: { password: { type: "string", pattern: "^[a-z]+$" } } }, f.namespace);
    await commitFiles(f.repo, { "good.yaml": configMap("good", { v: "1" }) });
    const d = await startDaemon(f, ["--interval", "500ms", "--no-leader-election"], { keysDir: keys.dir });
    running.push(d);
    await d.waitForLog((l) => l.msg === "synced", 30_000, "the first sync");

    const bad = await commitFiles(f.repo, {
      "good.yaml": configMap("good", { v: "2" }),
      "secret.sops.yaml": leakySecret(),
      "cm.sops.yaml": leakyConfigMap(),
      "widget.sops.yaml": sopsEncryptFields(`apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: leaky-widget\nspec:\n  password: ${PASSWORD}\n`,
        keys.ageRecipient, "^password$"),
    });
    const failed = await d.waitForLog((l) => l.msg === "sync failed; the last good revision stays in force" && l.revision === bad, 30_000, "the refusal");
    const auditFile = path.join(f.dataDir, "audit", "audit.jsonl");
    await until("Warning Event", async () => (await eventMessages(f.namespace)).some((m) => m.includes("leaky-cm")));

    // Refused with a clear message naming file, object, status and field — and nothing applied.
    const message = String(failed.err);
    expect(message).toMatch(/cm\.sops\.yaml \(document 0\): ConfigMap\/leaky-cm apply failed: the API server refused it \(HTTP 422 Invalid\) at metadata\.labels; its message is withheld/);
    expect(message).toMatch(/widget\.sops\.yaml \(document 0\): Widget\/leaky-widget apply failed: the API server refused it \(HTTP 422 Invalid\) at spec\.password/);
    expect(message).toMatch(/secret\.sops\.yaml \(document 0\): Secret\/leaky-secret apply failed: the API server refused it \(HTTP \d+ \w+\)/);
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/good`))?.data).toEqual({ v: "1" });
    expect(await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/leaky-cm`)).toBeUndefined();
    expect(await getObject(`/api/v1/namespaces/${f.namespace}/secrets/leaky-secret`)).toBeUndefined();

    const parent = await getObject(`/api/v1/namespaces/${f.namespace}/secrets/sealsync`);
    const places: Record<string, string> = {
      "the JSON log": d.stdout(), stderr: d.stderr(),
      "the Events": (await eventMessages(f.namespace)).join("\n"),
      "the audit log": readFileSync(auditFile, "utf8"),
      "/v1/audit": await (await fetch(`${d.url}/v1/audit`)).text(),
      "/readyz": await (await fetch(`${d.url}/readyz`)).text(),
      "/metrics": await (await fetch(`${d.url}/metrics`)).text(),
      "the status annotation": JSON.stringify(parent?.metadata.annotations ?? {}),
      ...Object.fromEntries(filesUnder(f.dataDir).map((x) => [x.file, x.text])),
    };
    expect(places["the audit log"]).toContain("leaky-cm apply failed"); // the hunt looks where the refusal is
    expect(leaks(PLANTED, places)).toEqual([]);
  });

  it("sync --once refuses them as the deploy/ Role, leaks nothing, and audits the one-shot syncs in one chain", async () => {
    const f = await syncFixture("leakcli");
    await commitFiles(f.repo, { "good.yaml": configMap("good", { v: "1" }) });
    const first = await sealsync(f);
    expect(first.stderr).toBe("");
    expect(first.exitCode).toBe(0);

    const bad = await commitFiles(f.repo, { "good.yaml": configMap("good", { v: "2" }), "secret.sops.yaml": leakySecret(), "cm.sops.yaml": leakyConfigMap() });
    const res = await sealsync(f);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: revision [0-9a-f]{12} refused, nothing applied:\n/);
    expect(res.stderr).toContain("cm.sops.yaml (document 0): ConfigMap/leaky-cm apply failed: the API server refused it (HTTP 422 Invalid) at metadata.labels");
    expect(res.stderr).toMatch(/secret\.sops\.yaml \(document 0\): Secret\/leaky-secret apply failed: the API server refused it/);
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/good`))?.data).toEqual({ v: "1" });

    // The one-shot syncs left audit entries under --data-dir, in one verifiable chain.
    const auditFile = path.join(f.dataDir, "audit", "audit.jsonl");
    const entries = readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => e.action)).toEqual([
      "sync-started", "object-created", "sync-finished", // the first, good revision
      "sync-started", "rejected", "rejected", "sync-failed", // the refused one
    ]);
    expect(entries[0]).toMatchObject({ trigger: "manual" });
    expect(entries[1]).toMatchObject({ kind: "ConfigMap", name: "good", namespace: f.namespace });
    expect(entries[6]).toMatchObject({ reason: "ReconcileRefused", revision: bad });
    const verify = await runAsync(process.execPath, [cli, "audit", "verify", "--log", auditFile]);
    expect(verify.stdout).toMatch(/^7 entries, chain intact from #1/);

    const places = { stdout: `${first.stdout}${res.stdout}`, stderr: res.stderr, ...Object.fromEntries(filesUnder(f.dataDir).map((x) => [x.file, x.text])) };
    expect(leaks(PLANTED, places)).toEqual([]);
  });
});
