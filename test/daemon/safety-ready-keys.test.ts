/**
 * Issue 11, findings 9 and 10, against the real apiserver and Git server as deploy/'s Role: a bad
 * commit never makes the sidecar (and so the app's pod) unready — staleness shows in the status
 * annotation, the sealsync_stale metric and a Warning Event — and one junk key Secret does not stop
 * start-up: it is skipped and named; only when no key at all loads does sealsync refuse to start.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { repoRoot, testAssets } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { secretYaml, sopsEncrypt } from "../env/keys.js";
import { run, runAsync } from "../env/run.js";
import { configMap, syncFixture } from "../sync/helpers.js";
import { admin, eventMessages, getObject } from "../sync/safety-helpers.js";
import { startDaemon, until, type RunningDaemon } from "./helpers.js";

const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const metric = async (url: string, name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(await (await fetch(`${url}/metrics`)).text())?.[1];

describe("finding 9: readiness never depends on Git", () => {
  it("after a restart with a bad commit in Git, /readyz is 200 and staleness is reported by status, metric and Event", async () => {
    const f = await syncFixture("ready");
    await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "1" }) });
    const first = await startDaemon(f, ["--interval", "500ms", "--no-leader-election"]);
    await first.waitForLog((l) => l.msg === "synced", 30_000, "the first sync");
    await first.stop();

    const bad = await commitFiles(f.repo, { "app.yaml": configMap("app", { v: "2" }), "broken.yaml": "a: [unclosed\n" });
    const d = await startDaemon(f, ["--interval", "500ms", "--no-leader-election"]);
    running.push(d);
    await d.waitForLog((l) => String(l.msg).startsWith("sync failed") && l.revision === bad, 30_000, "the refusal");

    const ready = await fetch(`${d.url}/readyz`);
    expect({ status: ready.status, body: await ready.text() }).toEqual({ status: 200, body: "ok\n" });
    expect(await metric(d.url, "sealsync_stale")).toBe("1");
    const status = JSON.parse((await getObject(`/api/v1/namespaces/${f.namespace}/secrets/sealsync`))?.metadata.annotations?.["sealsync.dev/status"] ?? "{}") as Record<string, unknown>;
    expect(status.phase).not.toBe("Ready");
    expect(String(status.lastError)).toMatch(/^ValidationFailed: revision [0-9a-f]{12} refused/);
    expect((await eventMessages(f.namespace)).some((m) => /broken\.yaml \(document 0\): invalid YAML/.test(m))).toBe(true);
    // The last good state stays live.
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/app`))?.data).toEqual({ v: "1" });

    await commitFiles(f.repo, { "broken.yaml": null });
    await until("no longer stale", async () => (await metric(d.url, "sealsync_stale")) === "0", 30_000);
    expect((await getObject(`/api/v1/namespaces/${f.namespace}/configmaps/app`))?.data).toEqual({ v: "2" });
  });
});

describe("finding 10: one junk key does not stop start-up", () => {
  it("skips and names a labelled key Secret holding junk, starts, and decrypts with the good key", async () => {
    const f = await syncFixture("junkkey");
    const good = run(testAssets().ageKeygen, []).stdout;
    const recipient = /public key: (age1\S+)/.exec(good)?.[1] ?? "";
    const create = (name: string, data: Record<string, string>) => admin().request("POST", `/api/v1/namespaces/${f.namespace}/secrets`, {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name, labels: { "sealsync.dev/key": "active" } }, data },
    });
    await create("junk-key", { "tls.key": b64("not a pem") });
    await commitFiles(f.repo, { "db.yaml": sopsEncrypt(secretYaml("db", { password: "pw-1" }), recipient) });

    // With only the junk key, there is nothing to decrypt with: refuse to start, naming it.
    const cli = path.join(repoRoot, "dist/cli/sealsync.js");
    const alone = await runAsync(process.execPath, [cli, "sync", "--once", "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
      "--keys-from-secrets", "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile]);
    expect(alone.exitCode).toBe(1);
    expect(alone.stderr).toMatch(new RegExp(`^error: key source secret ${f.namespace}/junk-key/tls\\.key: .+\\n$`));

    await create("good-key", { "keys.txt": b64(good) });
    const d = await startDaemon(f, ["--interval", "500ms", "--no-leader-election", "--keys-from-secrets"]);
    running.push(d);
    const warned = await d.waitForLog((l) => l.level === "warn" && String(l.msg).includes("junk-key"), 10_000, "the skipped key");
    expect(String(warned.msg)).toMatch(new RegExp(`^key source secret ${f.namespace}/junk-key/tls\\.key: .+; skipped, the other keys are in use$`));
    await d.waitForLog((l) => l.msg === "synced", 30_000, "the sync");
    const db = await getObject(`/api/v1/namespaces/${f.namespace}/secrets/db`);
    expect(Buffer.from(String((db?.data as Record<string, string>).password), "base64").toString()).toBe("pw-1");
  });
});
