/**
 * Issue 11, findings 7, 8 and 11: a Git server in the attacker's hands. The real Git server (git
 * http-backend) behind a loopback proxy that relays it until told to misbehave: a commit that unpacks to
 * 400 MB, too many files, a gzip bomb, a stalled response, a redirect to another host, plain HTTP.
 * Each is refused with a message naming the limit, nothing leaked, and the last good state kept.
 */
import { afterAll, describe, expect, it } from "@jest/globals";
import { CoreV1Api } from "@kubernetes/client-node";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitSource, type GitSourceOptions } from "../../src/source/git.js";
import { repoRoot } from "../env/assets.js";
import { commitFiles, createRepo, type TestRepo } from "../env/git.js";
import { makeTestCa, startHostileGit, type HostileGit } from "../env/hostile-git.js";
import { runAsync } from "../env/run.js";
import { adminKubeConfig } from "../env/kube.js";
import { testEnvState } from "../env/state.js";
import { configMap, syncFixture, type SyncFixture } from "../sync/helpers.js";
import { startDaemon, until } from "../daemon/helpers.js";

const cli = path.join(repoRoot, "dist/cli/sealsync.js");
const servers: HostileGit[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function hostile(opts: Parameters<typeof startHostileGit>[0] = {}): Promise<HostileGit> {
  const s = await startHostileGit(opts);
  servers.push(s);
  return s;
}

function source(repo: TestRepo, extra: Partial<GitSourceOptions> = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-hostile-"));
  const passwordFile = path.join(dataDir, "pw");
  writeFileSync(passwordFile, repo.password);
  const src = new GitSource({ url: repo.url, dataDir, username: repo.username, passwordFile, allowInsecureHttp: true, ...extra });
  return { dataDir, src };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const packsIn = (dataDir: string) => {
  const gitDir = path.join(dataDir, "git");
  if (!existsSync(gitDir)) return [];
  return readdirSync(gitDir).flatMap((store) => {
    const dir = path.join(gitDir, store, "objects", "pack");
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".pack")) : [];
  });
};

/** Adds a file of `bytes` zeros in a new commit written straight into the server's bare repo (no 400 MB push). */
function commitZeroFile(repo: TestRepo, name: string, bytes: number): string {
  const bare = path.join(testEnvState().git.root, `${repo.name}.git`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "sealsync-zero-"));
  const file = path.join(tmp, name);
  execFileSync("truncate", ["-s", String(bytes), file]);
  const env = { ...process.env, GIT_INDEX_FILE: path.join(tmp, "index"), GIT_AUTHOR_NAME: "Attacker", GIT_AUTHOR_EMAIL: "a@example.test", GIT_COMMITTER_NAME: "Attacker", GIT_COMMITTER_EMAIL: "a@example.test" };
  const git = (args: string[]) => execFileSync("git", args, { cwd: bare, env, encoding: "utf8" }).trim();
  const blob = git(["hash-object", "-w", file]);
  git(["read-tree", "main"]);
  git(["update-index", "--add", "--cacheinfo", `100644,${blob},${name}`]);
  const tree = git(["write-tree"]);
  const commit = git(["commit-tree", tree, "-p", "main", "-m", "add a big file"]);
  git(["update-ref", "refs/heads/main", commit]);
  return commit;
}

describe("a hostile Git server (findings 7, 8, 11)", () => {
  it("refuses a commit with a 400 MB file of zeros by its declared size, before unpacking it, and fetches the next good one", async () => {
    const repo = createRepo("zeros");
    await commitFiles(repo, { "cm.yaml": configMap("app", { v: "1" }) });
    commitZeroFile(repo, "zero.bin", 400 * 1024 * 1024);
    const { src, dataDir } = source(repo);
    const err = await failure(src.fetch());
    expect(err?.message).toMatch(/an object of the fetched commit is 419430400 bytes \(400\.0 MiB\), over --max-total-size \(67108864 bytes \(64\.0 MiB\)\); refused before unpacking anything/);
    expect(packsIn(dataDir)).toEqual([]); // nothing was indexed or stored
    // The fix (the big file gone) is fetched by the same source.
    const fixed = await commitFiles(repo, { "cm.yaml": configMap("app", { v: "2" }) }, { message: "drop the big file" });
    const rev = await src.fetch();
    expect([rev.sha, Buffer.from(rev.files.get("cm.yaml") ?? []).toString()]).toEqual([fixed, configMap("app", { v: "2" })]);
  }, 240_000);

  it("sealsync sync refuses a commit of more files than --max-files, naming the flag, and applies nothing", async () => {
    const f = await syncFixture("maxfiles");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "good" }) });
    const args = (extra: string[]) => [cli, "sync", "--once", "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
      "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile, ...extra];
    expect((await runAsync(process.execPath, args([]))).exitCode).toBe(0);
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`many/cm-${i}.yaml`, configMap(`cm-${i}`, { v: "x" })]));
    await commitFiles(f.repo, { ...many, "cm.yaml": configMap("app", { v: "flood" }) });
    const res = await runAsync(process.execPath, args(["--max-files", "30"]));
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/the fetched commit holds more than 30 files, over --max-files; refused before unpacking anything/);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const names = (await core.listNamespacedConfigMap({ namespace: f.namespace })).items.map((c) => c.metadata?.name);
    expect(names).not.toContain("cm-0");
    expect((await core.readNamespacedConfigMap({ name: "app", namespace: f.namespace })).data).toEqual({ v: "good" });
  }, 120_000);

  it("refuses a gzip-bombed pack at its headers, and a stalled one at --fetch-timeout", async () => {
    const repo = createRepo("bomb");
    await commitFiles(repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const proxy = await hostile();
    const viaProxy = { ...repo, url: `${proxy.url}/${repo.name}.git` };
    proxy.mode = "gzip-bomb";
    const bomb = await failure(source(viaProxy).src.fetch());
    expect(bomb?.message).toMatch(/the Git server sent a compressed response \(Content-Encoding: gzip\) although none was asked for; refused/);
    proxy.packOnly = false; // the ref listing too
    expect((await failure(source(viaProxy).src.fetch()))?.message).toMatch(/Content-Encoding: gzip/);
    proxy.mode = "stall";
    const stalled = await failure(source(viaProxy, { fetchTimeoutMs: 1500 }).src.fetch());
    expect(stalled?.message).toBe(`fetch ${viaProxy.url}: no answer within 1.5 s (--fetch-timeout); abandoned`);
    for (const e of [bomb, stalled]) expect(e?.message).not.toContain(repo.password);
  });

  it("never follows a redirect to another host with the credentials", async () => {
    const repo = createRepo("redirect");
    await commitFiles(repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const elsewhere: string[] = [];
    const thief = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url} auth=${Boolean(req.headers.authorization)}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => thief.listen(0, "127.0.0.1", resolve));
    try {
      const proxy = await hostile();
      proxy.mode = "redirect";
      proxy.packOnly = false;
      proxy.redirectTo = `http://localhost:${(thief.address() as { port: number }).port}`;
      const err = await failure(source({ ...repo, url: `${proxy.url}/${repo.name}.git` }).src.fetch());
      expect(err?.message).toContain(`the Git server redirected from ${proxy.url} to ${proxy.redirectTo}; refused (credentials are never sent to another host or over a downgraded scheme)`);
      expect(err?.message).not.toContain(repo.password);
      expect(elsewhere).toEqual([]);
    } finally {
      thief.close();
    }
  });

  it("refuses http:// without --allow-insecure-http, and fetches over HTTPS with a CA from --git-ca-file", async () => {
    const f = await syncFixture("tls");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "tls" }) });
    const ca = makeTestCa();
    const proxy = await hostile({ tls: ca });
    // The harness allows plain HTTP for every CLI; this one runs as a user would (spawn drops undefined values).
    const env = { SEALSYNC_ALLOW_INSECURE_HTTP: undefined };
    const sync = (url: string, extra: string[] = []) => runAsync(process.execPath, [cli, "sync", "--once", "--repo", url, "-n", f.namespace,
      "--kubeconfig", f.kubeconfig, "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile, ...extra], { env });
    const plain = await sync(f.repo.url);
    expect(plain).toMatchObject({ exitCode: 2, stdout: "" });
    expect(plain.stderr).toBe("error: invalid flag: --repo is plain http://; use https:// (or --allow-insecure-http on a trusted network)\n");
    const httpsUrl = `${proxy.url}/${f.repo.name}.git`;
    const untrusted = await sync(httpsUrl);
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stderr).toMatch(/self-signed certificate|unable to (get local issuer|verify)/);
    expect(untrusted.stderr).not.toContain(f.repo.password);
    expect(proxy.seen.filter((r) => r.authorization)).toEqual([]); // no TLS, no credentials
    const trusted = await sync(httpsUrl, ["--git-ca-file", ca.caFile]);
    expect(trusted.stderr).toBe("");
    expect(trusted.exitCode).toBe(0);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    expect((await core.readNamespacedConfigMap({ name: "app", namespace: f.namespace })).data).toEqual({ v: "tls" });
  }, 120_000);
});

describe("sealsync run against a hostile Git server (finding 8)", () => {
  let f: SyncFixture;
  it("keeps the last good state through a gzip bomb, stays live, and SIGTERM abandons a stalled fetch", async () => {
    f = await syncFixture("wedge");
    await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "1" }) });
    const proxy = await hostile();
    const d = await startDaemon({ ...f, repo: { ...f.repo, url: `${proxy.url}/${f.repo.name}.git` } }, ["--no-leader-election", "--interval", "500ms"]);
    try {
      const core = adminKubeConfig().makeApiClient(CoreV1Api);
      const data = () => core.readNamespacedConfigMap({ name: "app", namespace: f.namespace }).then((c) => c.data, () => undefined);
      await until("the first sync", async () => (await data())?.v === "1");
      proxy.mode = "gzip-bomb";
      await commitFiles(f.repo, { "cm.yaml": configMap("app", { v: "2" }) });
      const failed = await d.waitForLog((l) => l.msg === "sync failed; the last good revision stays in force", 30_000, "the refused fetch");
      expect(failed).toMatchObject({ reason: "FetchFailed" });
      expect(String(failed.err)).toMatch(/Content-Encoding: gzip.*refused/);
      expect(await data()).toEqual({ v: "1" });
      expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
      const readyz = await (await fetch(`${d.url}/readyz`)).text();
      expect(readyz).not.toMatch(/gzip/); // public body: no error text
      proxy.mode = "stall";
      const posts = () => proxy.seen.filter((r) => r.method === "POST").length;
      const before = posts();
      await until("a fetch stuck on the stalled server", async () => posts() > before, 30_000);
      expect(await d.stop("SIGTERM")).toBe(0);
      expect(d.lines.some((l) => l.msg === "sealsync stopped")).toBe(true);
      const audit = readFileSync(path.join(f.dataDir, "audit", "audit.jsonl"), "utf8");
      expect(audit).toContain('"action":"daemon-stop"');
      expect(d.stdout() + d.stderr() + audit).not.toContain(f.repo.password);
    } finally {
      await d.stop("SIGKILL");
    }
  }, 120_000);
});
