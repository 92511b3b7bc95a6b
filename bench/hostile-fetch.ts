/**
 * Peak memory of fetching a commit that holds a 400 MB file of zeros (~0.4 MB packed) from the real Git
 * server (git http-backend): isomorphic-git's fetch with no screening (limits above the file; it inflates
 * every object while indexing) against sealsync's GitSource (which screens the pack by declared sizes and refuses it). Each fetch runs
 * in a fresh child process; prints the median peak RSS of each and the ratio.
 *
 *   npm run build && node --import tsx bench/hostile-fetch.ts [runs=3]
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fs from "node:fs";
import * as git from "isomorphic-git";
import { gitHttpClient } from "../src/source/git-http.js";
import { GitSource } from "../src/source/git.js";
import { startGitServer } from "../test/env/git-server.js";

const self = fileURLToPath(import.meta.url);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

async function child(mode: string, url: string, username: string, password: string): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "bench-fetch-"));
  let outcome = "fetched";
  try {
    if (mode === "isomorphic-git") {
      const gitdir = path.join(dataDir, "g.git");
      await git.init({ fs, gitdir, bare: true });
      await git.addRemote({ fs, gitdir, remote: "origin", url });
      // sealsync's transport with limits above the file: no screening, isomorphic-git indexes as usual.
      const http = gitHttpClient({ limits: { maxFiles: 1e6, maxTotalBytes: 2 ** 31 }, allowInsecureHttp: true });
      await git.fetch({ fs, http, gitdir, remote: "origin", singleBranch: true, depth: 1, ref: "main", remoteRef: "main", onAuth: () => ({ username, password }) });
    } else {
      const pw = path.join(dataDir, "pw");
      writeFileSync(pw, password);
      await new GitSource({ url, dataDir, username, passwordFile: pw, allowInsecureHttp: true }).fetch();
    }
  } catch (err) {
    outcome = `refused: ${(err as Error).message.slice(0, 80)}…`;
  }
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, outcome }));
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const server = await startGitServer();
  try {
    const bare = path.join(server.root, "zeros.git");
    const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-zeros-"));
    const env = { ...process.env, GIT_INDEX_FILE: path.join(tmp, "index"), GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@x", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@x" };
    const g = (args: string[], input?: string) => execFileSync("git", args, { cwd: bare, env, encoding: "utf8", input }).trim();
    execFileSync("git", ["init", "-q", "--bare", "--initial-branch=main", bare]);
    execFileSync("truncate", ["-s", String(400 * 1024 * 1024), path.join(tmp, "zero.bin")]);
    const big = g(["hash-object", "-w", path.join(tmp, "zero.bin")]);
    const cm = g(["hash-object", "-w", "--stdin"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    g(["update-index", "--add", "--cacheinfo", `100644,${big},zero.bin`]);
    g(["update-index", "--add", "--cacheinfo", `100644,${cm},cm.yaml`]);
    g(["update-ref", "refs/heads/main", g(["commit-tree", g(["write-tree"]), "-m", "zeros"])]);
    rmSync(tmp, { recursive: true, force: true });
    const url = `${server.url}/zeros.git`;
    // The server must keep serving while a child fetches: children run asynchronously.
    const results: Record<string, number[]> = { "isomorphic-git": [], sealsync: [] };
    const outcomes: Record<string, string> = {};
    for (let i = 0; i < runs; i++) {
      for (const mode of Object.keys(results)) {
        const out = await new Promise<string>((resolve, reject) => {
          const c = spawn(process.execPath, ["--import", "tsx", self, "--child", mode, url, server.username, server.password]);
          let s = "";
          c.stdout.on("data", (d: Buffer) => (s += d.toString()));
          c.on("close", (code: number) => (code === 0 ? resolve(s) : reject(new Error(`${mode} child exited ${code}`))));
        });
        const r = JSON.parse(out) as { maxRssKb: number; outcome: string };
        results[mode]?.push(r.maxRssKb);
        outcomes[mode] = r.outcome;
      }
    }
    const iso = median(results["isomorphic-git"] ?? []);
    const ours = median(results.sealsync ?? []);
    console.log(`fetch of a commit with a 400 MB file of zeros, median of ${runs} runs (peak RSS of the fetching process):`);
    console.log(`  isomorphic-git, unscreened ${mib(iso)}   ${outcomes["isomorphic-git"]}`);
    console.log(`  sealsync GitSource       ${mib(ours)}   ${outcomes.sealsync}`);
    console.log(`  ratio                    ${(iso / ours).toFixed(1)}x less memory`);
  } finally {
    await server.stop();
  }
}

if (process.argv[2] === "--child") {
  const [, , , mode, url, username, password] = process.argv;
  await child(mode ?? "", url ?? "", username ?? "", password ?? "");
} else {
  await main();
}
