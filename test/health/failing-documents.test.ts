/**
 * Decryption visibility: a document that fails to decrypt is named in the status with its reason, and a
 * gauge counts the failing documents, back to 0 once they decrypt again.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { repoRoot } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { makeTestKeys, secretYaml, sopsEncrypt } from "../env/keys.js";
import { runAsync } from "../env/run.js";
import { startDaemon, until, type RunningDaemon } from "../daemon/helpers.js";
import { syncFixture } from "../sync/helpers.js";
import type { DaemonStatus } from "../../src/daemon/status.js";

const cli = path.join(repoRoot, "dist/cli/sealsync.js");
const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

describe("failing documents", () => {
  it("names a document encrypted for another key in the status, counts it, and clears it once fixed", async () => {
    const [ours, theirs] = [await makeTestKeys(), await makeTestKeys()];
    const f = await syncFixture("faildoc");
    await commitFiles(f.repo, { "db.sops.yaml": sopsEncrypt(secretYaml("db", { password: "one" }), ours.ageRecipient) });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "500ms"], { keysDir: ours.dir });
    running.push(d);
    const status = async () => {
      const res = await runAsync(process.execPath, [cli, "status", "-n", f.namespace, "--kubeconfig", f.kubeconfig, "-o", "json"]);
      return res.exitCode === 0 ? JSON.parse(res.stdout) as DaemonStatus : undefined;
    };
    const gauge = async () => /^sealsync_decrypt_failing_documents (\d+)$/m.exec(await (await fetch(`${d.url}/metrics`)).text())?.[1];
    const good = await until("the first revision applied", async () => (await status())?.lastAppliedRevision);

    const bad = await commitFiles(f.repo, { "db.sops.yaml": sopsEncrypt(secretYaml("db", { password: "two" }), theirs.ageRecipient) }, { message: "wrong key" });
    const s = await until("the failing document in the status", async () => {
      const st = await status();
      return st?.lastAttemptedRevision === bad && st.failingDocuments ? st : undefined;
    });
    expect(s.lastAppliedRevision).toBe(good);
    expect(s.failingDocuments).toEqual([{ file: "db.sops.yaml", document: 0, object: "Secret/db", reason: expect.stringMatching(/age|key|recipient/i) }]);
    expect(await gauge()).toBe("1");
    const text = await runAsync(process.execPath, [cli, "status", "-n", f.namespace, "--kubeconfig", f.kubeconfig]);
    expect(text.stdout).toContain(`failing documents:\n  db.sops.yaml (document 0) Secret/db: ${s.failingDocuments?.[0]?.reason}\n`);

    const fixed = await commitFiles(f.repo, { "db.sops.yaml": sopsEncrypt(secretYaml("db", { password: "two" }), ours.ageRecipient) }, { message: "right key" });
    await until("the fixed revision applied", async () => (await status())?.lastAppliedRevision === fixed);
    expect((await status())?.failingDocuments).toBeUndefined();
    expect(await gauge()).toBe("0");
  }, 120_000);
});
