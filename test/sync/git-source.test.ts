/** The Git source against the real Git server: refs, unchanged polls, credentials, bounded object store. */
import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitSource } from "../../src/source/git.js";
import { commitFiles, createRepo, gitIn } from "../env/git.js";
import { testEnvState } from "../env/state.js";

function source(repo: ReturnType<typeof createRepo>, extra: Partial<ConstructorParameters<typeof GitSource>[0]> = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-src-"));
  const passwordFile = path.join(dataDir, "pw");
  writeFileSync(passwordFile, repo.password);
  return { dataDir, src: new GitSource({ url: repo.url, dataDir, username: repo.username, passwordFile, allowInsecureHttp: true, ...extra }) };
}

const requests = () => readFileSync(testEnvState().git.requestLog, "utf8").split("\n");

describe("GitSource", () => {
  it("reads a branch, a tag and a commit SHA, with author, committer and message", async () => {
    const repo = createRepo("refs");
    const first = await commitFiles(repo, { "a.yaml": "kind: A\n" }, { message: "first\n\nbody" });
    await gitIn(repo, ["tag", "-a", "v1", "-m", "release 1"]);
    await gitIn(repo, ["push", "--quiet", "origin", "v1"]);
    const second = await commitFiles(repo, { "a.yaml": "kind: B\n" }, { message: "second" });
    const head = await source(repo).src.fetch();
    expect(head).toMatchObject({ sha: second, ref: "HEAD", message: "second\n", author: { name: "Test Author", email: "author@example.test" }, committer: { name: "Test Committer" } });
    expect(Buffer.from(head.files.get("a.yaml") ?? []).toString()).toBe("kind: B\n");
    const tag = await source(repo, { ref: "v1" }).src.fetch();
    expect([tag.sha, Buffer.from(tag.files.get("a.yaml") ?? []).toString()]).toEqual([first, "kind: A\n"]);
    const bySha = await source(repo, { ref: first }).src.fetch();
    expect(bySha.sha).toBe(first);
    await expect(source(repo, { ref: "no-such-branch" }).src.fetch()).rejects.toThrow(/ref no-such-branch not found on the remote/);
  });

  it("answers an unchanged poll with one ref listing and the same revision", async () => {
    const repo = createRepo("poll");
    await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const { src } = source(repo);
    const one = await src.fetch();
    const before = requests().filter((r) => r.includes(`/${repo.name}.git/`)).length;
    const two = await src.fetch();
    const after = requests().filter((r) => r.includes(`/${repo.name}.git/`));
    expect(two).toBe(one);
    expect(after.slice(before)).toEqual([`GET /${repo.name}.git/info/refs`, `POST /${repo.name}.git/git-upload-pack`]);
  });

  it("re-reads the password file before every fetch, so a rotated token works without a restart, and never prints it", async () => {
    const repo = createRepo("rotate");
    await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const { src, dataDir } = source(repo);
    writeFileSync(path.join(dataDir, "pw"), "expired-token-value\n");
    const err = await src.fetch().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/authentication failed: check --git-username and the token in --git-password-file/);
    expect(err?.message).not.toContain("expired-token-value");
    writeFileSync(path.join(dataDir, "pw"), `${repo.password}\n`);
    expect(Buffer.from((await src.fetch()).files.get("a.yaml") ?? []).toString()).toBe("kind: A\n");
  });

  it("refuses a revision with oversized manifests, naming every one in path order (skipping them would prune their objects)", async () => {
    const repo = createRepo("big");
    await commitFiles(repo, { "z.yaml": `a: "${"x".repeat(300)}"\n`, "a.yaml": `a: "${"y".repeat(200)}"\n`, "ok.yaml": "a: 1\n" });
    await expect(source(repo, { maxFileBytes: 100 }).src.fetch()).rejects.toThrow(
      "a.yaml: file is 206 bytes, over the 100-byte limit; z.yaml: file is 306 bytes, over the 100-byte limit (raise --max-file-size if it is really a manifest)");
  });

  it("keeps its object store bounded: many commits later it holds only a few packs", async () => {
    const repo = createRepo("packs");
    const { src, dataDir } = source(repo);
    for (let i = 0; i < 12; i++) {
      await commitFiles(repo, { "a.yaml": `kind: A${i}\n` });
      expect(Buffer.from((await src.fetch()).files.get("a.yaml") ?? []).toString()).toBe(`kind: A${i}\n`);
    }
    const gitRoot = path.join(dataDir, "git");
    const packs = readdirSync(gitRoot).flatMap((d) => {
      try {
        return readdirSync(path.join(gitRoot, d, "objects", "pack")).filter((f) => f.endsWith(".pack"));
      } catch {
        return [];
      }
    });
    expect(packs.length).toBeLessThanOrEqual(8);
  });
});
