/**
 * No silent rollback, against the real Git server: a force-push back to an older commit (or onto
 * another line of history) is reported, or refused with --refuse-rollback until a descendant arrives.
 * Also: a remote whose HEAD names a missing branch still serves --ref main, and says so when no --ref is given.
 */
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitSource } from "../../src/source/git.js";
import { RollbackGuard, RollbackRefusedError } from "../../src/source/rollback.js";
import { commitFiles, createRepo, gitIn, type TestRepo } from "../env/git.js";
import { testEnvState } from "../env/state.js";

function source(repo: TestRepo, refuse: boolean, dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-rollback-")), ref?: string) {
  const passwordFile = path.join(dataDir, "pw");
  writeFileSync(passwordFile, repo.password);
  const rollback = new RollbackGuard({ stateFile: path.join(dataDir, "applied.json"), refuse });
  return { dataDir, src: new GitSource({ allowInsecureHttp: true, url: repo.url, ref, dataDir, username: repo.username, passwordFile, rollback }) };
}

describe("rollback detection", () => {
  it("reports a force-push to an older commit and applies it; a revert commit is a plain descendant", async () => {
    const repo = createRepo("rewind");
    const { src } = source(repo, false);
    const old = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    src.applied((await src.fetch()).sha);
    // Polled and applied commit by commit, as the daemon does.
    for (let i = 0; i < 5; i++) {
      await commitFiles(repo, { "a.yaml": `kind: A${i}\n` }, { message: "security fix" });
      const rev = await src.fetch();
      expect(rev.rewound).toBeUndefined();
      src.applied(rev.sha);
    }
    const fixed = await gitIn(repo, ["rev-parse", "HEAD"]);

    await gitIn(repo, ["push", "--quiet", "--force", "origin", `${old}:refs/heads/main`]);
    const back = await src.fetch();
    expect([back.sha, back.rewound]).toEqual([old, { from: fixed, kind: "ancestor" }]);
    src.applied(old);

    // git revert makes a new commit on top: never reported.
    await gitIn(repo, ["reset", "--quiet", "--hard", old]);
    const revert = await commitFiles(repo, { "a.yaml": "kind: reverted\n" }, { message: "Revert" });
    const forward = await src.fetch();
    expect([forward.sha, forward.rewound]).toEqual([revert, undefined]);
  });

  it("with --refuse-rollback refuses a force-push onto another line of history until a descendant of the applied commit arrives, across restarts", async () => {
    const repo = createRepo("diverge");
    const base = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const applied = await commitFiles(repo, { "a.yaml": "kind: B\n" });
    const first = source(repo, true);
    await first.src.fetch();
    first.src.applied(applied);

    await gitIn(repo, ["reset", "--quiet", "--hard", base]);
    const other = await commitFiles(repo, { "a.yaml": "kind: other\n" }, { message: "rewritten" });
    // A new process on the same data dir still knows what was applied.
    const restarted = source(repo, true, first.dataDir);
    const err = await restarted.src.fetch().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackRefusedError);
    expect((err as Error).message).toBe(`refusing commit ${other}: the source was force-pushed to ${other}, which does not descend from the last applied commit ${applied}; ` +
      `--refuse-rollback keeps ${applied} until a descendant of it is pushed`);

    await gitIn(repo, ["reset", "--quiet", "--hard", applied]);
    const descendant = await commitFiles(repo, { "a.yaml": "kind: C\n" });
    const rev = await restarted.src.fetch();
    expect([rev.sha, rev.rewound]).toEqual([descendant, undefined]);
  });
});

describe("remote HEAD naming a missing branch", () => {
  it("still serves --ref main, and without --ref says what is wrong", async () => {
    const repo = createRepo("dangling-head");
    await commitFiles(repo, { "a.yaml": "kind: A\n" });
    // Only main is pushed; the server's HEAD points at master (common on self-hosted servers).
    execFileSync("git", ["symbolic-ref", "HEAD", "refs/heads/master"], { cwd: path.join(testEnvState().git.root, `${repo.name}.git`) });
    const rev = await source(repo, false, undefined, "main").src.fetch();
    expect(Buffer.from(rev.files.get("a.yaml") ?? []).toString()).toBe("kind: A\n");
    await expect(source(repo, false).src.fetch()).rejects.toThrow(
      `${repo.url}: the remote's HEAD does not name an existing branch (branches on the remote: main); set --ref to the branch to follow`);
  });
});
