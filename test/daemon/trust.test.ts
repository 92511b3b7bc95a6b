/**
 * `sealsync run --verify head` and rollback reporting as a real child process, against the real
 * kube-apiserver and Git server, with history signed by the real git + ssh-keygen: what an operator
 * sees (Warning Events, the failure metric, audit entries, the status annotation, the applied state).
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { CoreV1Api } from "@kubernetes/client-node";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { commitFiles, gitIn } from "../env/git.js";
import { adminKubeConfig } from "../env/kube.js";
import { makeSshSigner, signWith } from "../env/signing.js";
import { configMap, syncFixture, type SyncFixture } from "../sync/helpers.js";
import { startDaemon, until, type RunningDaemon } from "./helpers.js";

const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

const audit = (f: SyncFixture) =>
  readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const cmData = (f: SyncFixture, name: string) =>
  core().readNamespacedConfigMap({ name, namespace: f.namespace }).then((c) => c.data, () => undefined);
const warnings = async (f: SyncFixture, reason: string) =>
  (await core().listNamespacedEvent({ namespace: f.namespace })).items.filter((e) => e.type === "Warning" && e.reason === reason);

describe("sealsync run: trust the source", () => {
  it("--verify head applies signed commits, refuses an unsigned one (keeping the last good), and reports both ways", async () => {
    const f = await syncFixture("verify");
    const dev = makeSshSigner("ed25519");
    const keys = path.join(f.dataDir, "trusted");
    mkdirSync(keys);
    writeFileSync(path.join(keys, "dev.pub"), dev.publicKey);
    await signWith(f.repo, dev);
    const good = await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "500ms", "--verify", "head", "--verify-keys", keys]);
    running.push(d);
    await until("the signed commit applied", async () => (await cmData(f, "app"))?.v === "1");
    expect(audit(f)).toEqual(expect.arrayContaining([expect.objectContaining({
      action: "sync-started", revision: good, signature: "verified", signer: dev.fingerprint, verifyMode: "head" })]));
    // The status is written after the apply: wait for it rather than racing it.
    const statusOf = async () => JSON.parse((await core().readNamespacedSecret({ name: "sealsync", namespace: f.namespace })).metadata?.annotations?.["sealsync.dev/status"] ?? "{}") as { verification?: unknown };
    const status = await until("the status names the signer", async () => { const st = await statusOf(); return st.verification !== undefined && st; });
    expect(status).toMatchObject({ verification: { mode: "head", signer: dev.fingerprint } });

    await signWith(f.repo, undefined);
    const unsigned = await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "evil" }) });
    const events = await until("a VerificationFailed event", async () => (await warnings(f, "VerificationFailed")).length > 0 && warnings(f, "VerificationFailed"));
    expect(events[0]?.message).toBe(`signature verification failed for commit ${unsigned}: it is not signed`);
    expect(audit(f)).toEqual(expect.arrayContaining([expect.objectContaining({
      action: "verification-failed", verifyMode: "head", object: `commit ${unsigned}` })]));
    expect(await (await fetch(`${d.url}/metrics`)).text()).toMatch(/^sealsync_source_verification_failures_total [1-9]/m);
    expect((await cmData(f, "app"))?.v).toBe("1");
  });

  it("reports a force-push back to an older commit (Warning Event, audit source-rewound) and applies it", async () => {
    const f = await syncFixture("rewind");
    const old = await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "old" }) });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "500ms"]);
    running.push(d);
    await until("the first commit", async () => (await cmData(f, "app"))?.v === "old");
    const fix = await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "fixed" }) }, { message: "security fix" });
    await until("the fix", async () => (await cmData(f, "app"))?.v === "fixed");
    await gitIn(f.repo, ["push", "--quiet", "--force", "origin", `${old}:refs/heads/main`]);
    await until("the rewound commit applied", async () => (await cmData(f, "app"))?.v === "old");
    const events = await until("a SourceRewound event", async () => (await warnings(f, "SourceRewound")).length > 0 && warnings(f, "SourceRewound"));
    expect(events[0]?.message).toBe(`the source was rewound to ${old}, an ancestor of the last applied commit ${fix} (applying it: pass --refuse-rollback to refuse)`);
    expect(audit(f)).toEqual(expect.arrayContaining([expect.objectContaining({ action: "source-rewound", revision: old, from: fix, rewind: "ancestor", refused: "no" })]));
  });
});
