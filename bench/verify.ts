/**
 * Cost of --verify on a 1,000-commit history signed by the real git (gpg.format=ssh, ed25519), served by
 * the real Git server (git http-backend):
 *   - a fresh fetch without verification, with --verify head, and with --verify strict from the root
 *     (every commit: the shallow fetch is deepened to the whole history);
 *   - the steady state: one new commit after a verified one (strict checks only the new commit);
 *   - signature checking alone over a local full store (no network), per commit.
 *
 *   npx tsx bench/verify.ts            # N=1000 commits, RUNS=5
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as git from "isomorphic-git";
import fs from "node:fs";
import { GitSource } from "../src/source/git.js";
import type { ObjectStore } from "../src/source/history.js";
import { CommitVerifier, type VerifyMode } from "../src/source/verify/verifier.js";
import { TrustedKeys } from "../src/source/verify/trusted-keys.js";
import { startGitServer } from "../test/env/git-server.js";

const N = Number(process.env.N ?? 1000);
const RUNS = Number(process.env.RUNS ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

const work = mkdtempSync(path.join(tmpdir(), "sealsync-verify-bench-"));
const key = path.join(work, "id_ed25519");
execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bench@example.test", "-f", key]);
const trusted = path.join(work, "trusted");
fs.mkdirSync(trusted);
fs.copyFileSync(`${key}.pub`, path.join(trusted, "bench.pub"));

const server = await startGitServer();
const bare = path.join(server.root, "history.git");
const env = { ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "Bench", GIT_AUTHOR_EMAIL: "bench@example.test", GIT_COMMITTER_NAME: "Bench", GIT_COMMITTER_EMAIL: "bench@example.test" };
const sh = (cwd: string, args: string[]) => execFileSync("git", args, { cwd, env, encoding: "utf8" }).trim();
execFileSync("git", ["init", "-q", "--bare", "--initial-branch=main", bare]);
const wd = path.join(work, "wd");
execFileSync("git", ["init", "-q", "--initial-branch=main", wd]);
for (const [k, v] of [["gpg.format", "ssh"], ["user.signingkey", `${key}.pub`], ["commit.gpgsign", "true"]]) sh(wd, ["config", k as string, v as string]);
const made = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  writeFileSync(path.join(wd, "app.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {n: "${i}"}\n`);
  sh(wd, ["add", "app.yaml"]);
  sh(wd, ["commit", "-q", "-m", `change ${i}`]);
}
sh(wd, ["push", "-q", bare, "main"]);
console.log(`history: ${N} SSH-signed commits made by git in ${(ms(made) / 1000).toFixed(1)} s`);

const url = `${server.url}/history.git`;
const pw = path.join(work, "pw");
writeFileSync(pw, server.password);
const keys = new TrustedKeys({ dir: trusted });

function source(mode: VerifyMode, dataDir = mkdtempSync(path.join(work, "data-"))) {
  const verifier = mode === "off" ? undefined : new CommitVerifier({ mode, keys, stateFile: path.join(dataDir, "verified.json") });
  return { dataDir, src: new GitSource({ allowInsecureHttp: true, url, dataDir, username: server.username, passwordFile: pw, verifier }) };
}

async function fresh(mode: VerifyMode): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const { src, dataDir } = source(mode);
    const t = process.hrtime.bigint();
    const rev = await src.fetch();
    times.push(ms(t));
    if (mode === "strict" && rev.verification?.commits !== N) throw new Error(`strict checked ${rev.verification?.commits} commits, expected ${N}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return median(times);
}

const off = await fresh("off");
const head = await fresh("head");
const strict = await fresh("strict");
console.log(`fresh fetch, no --verify:        ${off.toFixed(0)} ms`);
console.log(`fresh fetch, --verify head:      ${head.toFixed(0)} ms  (x${(head / off).toFixed(2)})`);
console.log(`fresh fetch, --verify strict:    ${strict.toFixed(0)} ms  (x${(strict / off).toFixed(2)}; ${N} commits, history deepened)`);

// Steady state: the daemon sees one new commit at a time.
const steady: Record<string, number[]> = { off: [], head: [], strict: [] };
const sources = Object.fromEntries(Object.keys(steady).map((m) => [m, source(m as VerifyMode)]));
for (const s of Object.values(sources)) await s.src.fetch();
for (let r = 0; r < RUNS; r++) {
  writeFileSync(path.join(wd, "app.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {n: "next-${r}"}\n`);
  sh(wd, ["commit", "-q", "-am", `next ${r}`]);
  sh(wd, ["push", "-q", bare, "main"]);
  for (const [mode, s] of Object.entries(sources)) {
    const t = process.hrtime.bigint();
    await s.src.fetch();
    steady[mode]?.push(ms(t));
  }
}
const so = median(steady.off as number[]);
console.log(`one new commit, no --verify:     ${so.toFixed(0)} ms`);
console.log(`one new commit, --verify head:   ${median(steady.head as number[]).toFixed(0)} ms  (x${(median(steady.head as number[]) / so).toFixed(2)})`);
console.log(`one new commit, --verify strict: ${median(steady.strict as number[]).toFixed(0)} ms  (x${(median(steady.strict as number[]) / so).toFixed(2)})`);

// Signature checking alone: strict over the server's full store, no network.
const local: ObjectStore = {
  async read(oid) {
    try {
      const o = await git.readObject({ fs, gitdir: bare, oid, format: "content", cache: localCache });
      return { type: o.type, object: Buffer.from(o.object as Uint8Array) };
    } catch {
      return undefined;
    }
  },
  deepen: async () => false,
};
const localCache = {};
const tip = sh(wd, ["rev-parse", "HEAD"]);
const cpu: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const v = new CommitVerifier({ mode: "strict", keys, stateFile: path.join(work, `cpu-${r}.json`) });
  const t = process.hrtime.bigint();
  const result = await v.verify(local, { commit: tip, ref: "main" });
  cpu.push(ms(t) / result.commits);
}
console.log(`signature check alone:           ${(median(cpu) * 1000).toFixed(0)} µs per commit (read + parse + SSHSIG ed25519)`);

await server.stop();
rmSync(work, { recursive: true, force: true });
