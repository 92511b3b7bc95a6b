/**
 * Benchmark of `sealsync run`, the sidecar, as a real child process against a real kube-apiserver and Git
 * server (leader election on, as deployed):
 *
 *   1. commit → applied latency: push a commit changing a ConfigMap value, then either POST a
 *      GitHub-signed push webhook (daemon `--interval 1h --webhook-secret-file F`) or let a 1 s poll find
 *      it (`--interval 1s`); the clock runs from the end of `git push` until a watch of the API shows
 *      the new value. With a 1-object repo (the floor) and the 1,000-object repo (a full pass per commit).
 *   2. idle cost with 1,000 managed objects (the object mix of bench/sync.ts): RSS (/proc VmRSS, sampled
 *      every second) and CPU (/proc utime+stime at both ends) over a 60 s window after the first sync,
 *      with `--interval 10s` so the window holds polls; the same with V8 heap flags, and with
 *      `--interval 1h` to tell the polls' CPU from the rest. The idle daemons run side by side, one
 *      namespace and one bare repo each.
 *   3. drift-correction latency: a merge-patch of a managed ConfigMap under another field manager
 *      ("kubectl-edit"), timed until a watch shows the value reverted.
 *   Also: memory and Git object store of the latency daemons before and after their commits.
 *
 *   npm run build && npx tsx bench/daemon.ts [--quick]     (--quick: 5 samples instead of 20/10, 20 s idle)
 *
 * Needs the provisioned test environment (npm run provision). Not part of the test run. Linux only
 * (/proc). Takes about 3.5 minutes on 2 cores.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { promisify } from "node:util";
import { ageRecipientOf, formatAgeKeyFile, generateAgeIdentity } from "../src/crypto/age.js";
import { encryptSopsFile } from "../src/crypto/sops/index.js";
import { KubeClient, loadKubeConfig, type KubeObject } from "../src/kube/client.js";
import { watchCollection, type Watch } from "../src/kube/watch.js";
import { repoRoot } from "../test/env/assets.js";
import { startControlPlane } from "../test/env/control-plane.js";
import { startGitServer, type GitServer } from "../test/env/git-server.js";
import { APPS, appManifests, secretManifest } from "./object-mix.js";

const exec = promisify(execFile);
const quick = process.argv.includes("--quick");
const LATENCY_SAMPLES = quick ? 5 : 20;
const DRIFT_SAMPLES = quick ? 5 : 10;
const IDLE_WINDOW_S = quick ? 20 : 60;
const CLK_TCK = Number((await exec("getconf", ["CLK_TCK"])).stdout.trim()) || 100;
const WEBHOOK_SECRET = "bench-webhook-secret";
const t0 = Date.now();
const progress = (msg: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);

// ---- statistics -------------------------------------------------------------------------------------
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
function median(xs: number[]): number {
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}
/** Nearest-rank percentile. */
const pct = (xs: number[], p: number) => sorted(xs)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

// ---- the repository: the object mix of bench/sync.ts, plus one ConfigMap the benchmark edits ---------

const TARGET = "bench-target";
const targetManifest = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${TARGET}\ndata:\n  v: "${v}"\n`;

/** A local working clone that commits with the git CLI and pushes to one or more bare repos on the server. */
class WorkRepo {
  readonly #auth: string[];
  readonly #env: NodeJS.ProcessEnv;
  constructor(readonly dir: string, private readonly git: GitServer) {
    this.#auth = ["-c", `http.extraHeader=Authorization: Basic ${Buffer.from(`${git.username}:${git.password}`).toString("base64")}`];
    this.#env = { ...process.env, GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "b@x", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "b@x", HOME: dir, GIT_CONFIG_NOSYSTEM: "1" };
  }

  async run(args: string[]): Promise<string> {
    // Asynchronous: the Git server lives in this process.
    return (await exec("git", [...this.#auth, ...args], { cwd: this.dir, env: this.#env, maxBuffer: 64 << 20 })).stdout.trim();
  }

  static async create(git: GitServer, dir: string, bareNames: string[]): Promise<WorkRepo> {
    mkdirSync(dir, { recursive: true });
    const r = new WorkRepo(dir, git);
    for (const name of bareNames) await exec("git", ["init", "--quiet", "--bare", "--initial-branch=main", path.join(git.root, `${name}.git`)]);
    await r.run(["init", "--quiet", "--initial-branch=main"]);
    return r;
  }

  url(name: string): string {
    return `${this.git.url}/${name}.git`;
  }

  /** Commits everything in the folder and pushes it to `names`; returns the commit SHA. */
  async commitAndPush(message: string, names: string[]): Promise<string> {
    await this.run(["add", "-A"]);
    await this.run(["commit", "--quiet", "--allow-empty", "-m", message]);
    for (const name of names) await this.run(["push", "--quiet", "--force", this.url(name), "HEAD:refs/heads/main"]);
    return this.run(["rev-parse", "HEAD"]);
  }
}

// ---- the daemon as a child process ------------------------------------------------------------------
type LogLine = Record<string, unknown>;

interface DaemonProc {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  dataDir: string;
  lines: LogLine[];
  waitLog(match: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  stop(): Promise<number | null>;
}

interface DaemonSpec {
  name: string;
  nodeFlags?: string[];
  /** Extra environment, e.g. MALLOC_ARENA_MAX. */
  env?: Record<string, string>;
  repoUrl: string;
  namespace: string;
  extra: string[];
}

interface Env {
  git: GitServer;
  kubeconfig: string;
  keysDir: string;
  passwordFile: string;
  work: string;
}

async function startDaemon(env: Env, spec: DaemonSpec): Promise<DaemonProc> {
  const dataDir = mkdtempSync(path.join(env.work, `data-${spec.name}-`));
  const args = [...(spec.nodeFlags ?? []), path.join(repoRoot, "dist/cli/sealsync.js"), "run", "--allow-insecure-http", "--repo", spec.repoUrl, "--ref", "main",
    "-n", spec.namespace, "--kubeconfig", env.kubeconfig, "--keys", env.keysDir, "--data-dir", dataDir,
    "--git-username", env.git.username, "--git-password-file", env.passwordFile, "--listen", "127.0.0.1:0", ...spec.extra];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "", ...spec.env } });
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let out = "";
  let err = "";
  let partial = "";
  child.stdout?.on("data", (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const p of parts) {
      let line: LogLine;
      try {
        line = JSON.parse(p) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const tail = () => `\n--- ${spec.name} stdout (tail):\n${out.slice(-3000)}\n--- stderr (tail):\n${err.slice(-2000)}`;
  const waitLog = (match: (l: LogLine) => boolean, timeoutMs: number, what: string) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${spec.name}: timed out waiting for ${what}${tail()}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`${spec.name}: exited (${code}) while waiting for ${what}${tail()}`)); });
    });
  };
  const started = await waitLog((l) => l.msg === "sealsync started", 30_000, "start-up");
  return {
    name: spec.name, child, pid: child.pid ?? 0, url: String(started.listen), dataDir, lines, waitLog,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

const syncedAt = (sha: string) => (l: LogLine) => l.msg === "synced" && l.revision === sha;

// ---- /proc sampling ---------------------------------------------------------------------------------
/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from #3 (state) on
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // #14 utime, #15 stime
}

function memKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]);
}

const MiB = (kib: number) => kib / 1024;

/** Pack files in the daemon's Git object store, and their total size in MiB. */
function packs(dataDir: string): { count: number; MiB: number } {
  const out = { count: 0, MiB: 0 };
  const gitRoot = path.join(dataDir, "git");
  for (const store of readdirSync(gitRoot)) {
    const dir = path.join(gitRoot, store, "objects", "pack");
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".pack"))) {
      out.count++;
      out.MiB += statSync(path.join(dir, f)).size / 1048576;
    }
  }
  return out;
}

// ---- a watch on the benchmark's ConfigMap -----------------------------------------------------------
/** Reports when the API first shows `data.v` at a value, from a watch (no polling delay). */
class ValueWatch {
  readonly #watch: Watch;
  readonly #waiters: { value: string; resolve: (at: number) => void }[] = [];

  constructor(admin: KubeClient, namespace: string) {
    this.#watch = watchCollection({ client: admin, path: `/api/v1/namespaces/${namespace}/configmaps`, initialEvents: false });
    void this.#consume();
  }

  get ready(): Promise<void> {
    return this.#watch.ready;
  }

  async #consume(): Promise<void> {
    for await (const ev of this.#watch) {
      if (ev.object.metadata.name !== TARGET || ev.type === "DELETED") continue;
      const at = Date.now();
      const v = (ev.object as KubeObject & { data?: Record<string, string> }).data?.v;
      for (const w of [...this.#waiters]) {
        if (w.value === v) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(at);
        }
      }
    }
  }

  /** Register BEFORE causing the change; resolves with Date.now() at the event showing `value`. */
  seen(value: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the API did not show ${TARGET}.data.v=${value} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({ value, resolve: (at) => { clearTimeout(timer); resolve(at); } });
    });
  }

  close(): void {
    this.#watch.close();
  }
}

// ---- measurements -----------------------------------------------------------------------------------
interface LatencySample { ms: number; passMs: number }

async function signedPush(url: string, sha: string): Promise<number> {
  const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { full_name: "bench/app" } });
  const sig = `sha256=${createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex")}`;
  const res = await fetch(`${url}/hooks/git`, {
    method: "POST", body, headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": sig },
  });
  await res.text();
  return res.status;
}

/**
 * `n` commits, each changing the target's value; the clock runs from the end of the push to the watch
 * event. Waits for the daemon's "synced" line of each commit before the next, so passes do not overlap.
 */
async function commitLatency(mode: "webhook" | "poll", d: DaemonProc, repo: WorkRepo, bare: string, watch: ValueWatch,
  n: number, pollMs: number): Promise<LatencySample[]> {
  const samples: LatencySample[] = [];
  for (let i = 0; i < n; i++) {
    // Polls are periodic: start each commit at a random phase of the interval.
    if (mode === "poll") await sleep(Math.random() * pollMs * 1.1);
    const value = `${mode}-${i}-${Date.now()}`;
    writeFileSync(path.join(repo.dir, "apps", `${TARGET}.yaml`), targetManifest(value));
    const seen = watch.seen(value, 60_000);
    const sha = await repo.commitAndPush(`${mode} ${i}`, [bare]);
    const pushed = Date.now();
    if (mode === "webhook") {
      const status = await signedPush(d.url, sha);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
    }
    const at = await seen;
    const synced = await d.waitLog(syncedAt(sha), 60_000, `the pass of ${sha.slice(0, 8)}`);
    samples.push({ ms: at - pushed, passMs: Number(synced.durationMs) });
    await sleep(100);
  }
  return samples;
}

async function driftLatency(admin: KubeClient, d: DaemonProc, namespace: string, watch: ValueWatch, gitValue: string,
  n: number): Promise<LatencySample[]> {
  const samples: LatencySample[] = [];
  const count = (msg: string) => d.lines.filter((l) => l.msg === msg).length;
  for (let i = 0; i < n; i++) {
    const corrected = count("drift corrected");
    const synced = count("synced");
    const seen = watch.seen(gitValue, 60_000);
    const patched = Date.now();
    await admin.request("PATCH", `/api/v1/namespaces/${namespace}/configmaps/${TARGET}`, {
      body: { data: { v: `hacked-${i}` } }, contentType: "application/merge-patch+json", query: { fieldManager: "kubectl-edit" },
    });
    const at = await seen;
    await d.waitLog(() => count("drift corrected") > corrected, 30_000, "the drift-corrected log line");
    // The correcting pass logs "synced" after "drift corrected" (it changed an object).
    const pass = await d.waitLog(() => count("synced") > synced, 30_000, "the correcting pass");
    samples.push({ ms: at - patched, passMs: Number(pass.durationMs) });
    await sleep(300);
  }
  return samples;
}

interface IdleResult {
  variant: string;
  firstSyncS: number;
  startupCpuS: number;
  hwmMiB: number;
  rssMedianMiB: number;
  rssMaxMiB: number;
  cpuPct: number;
  cpuS: number;
  gitRequests: number;
  polls: number;
  fetchMs: number;
  heap: { usedMiB: number; totalMiB: number; externalMiB: number };
  crashed?: string;
}

function gitRequestsFor(git: GitServer, bare: string): number {
  return readFileSync(git.requestLog, "utf8").split("\n").filter((l) => l.startsWith(`GET /${bare}.git/info/refs`)).length;
}

/** Unlabelled samples of the daemon's /metrics. */
async function daemonMetrics(d: DaemonProc, names: string[]): Promise<Record<string, number>> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  return Object.fromEntries(names.map((n) => [n, Number(new RegExp(`^${n} ([\\d.e+-]+)$`, "m").exec(text)?.[1])]));
}

const HEAP_USED = "nodejs_heap_size_used_bytes";
const HEAP_TOTAL = "nodejs_heap_size_total_bytes";
const EXTERNAL = "nodejs_external_memory_bytes";
const FETCH_COUNT = "sealsync_git_fetch_duration_seconds_count";
const FETCH_SUM = "sealsync_git_fetch_duration_seconds_sum";

async function apiRequestTotal(admin: KubeClient): Promise<Record<string, number>> {
  const res = await admin.request<string>("GET", "/metrics");
  const text = typeof res.body === "string" ? res.body : "";
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? "?";
    counts[verb] = (counts[verb] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return counts;
}

// ---- main -------------------------------------------------------------------------------------------
/** Idle daemons, side by side; the last one polls hourly, to tell the polls' CPU from the rest. */
const IDLE_VARIANTS: { variant: string; flags: string[]; env?: Record<string, string>; interval?: string }[] = [
  { variant: "node (defaults)", flags: [] },
  { variant: "--max-semi-space-size=1", flags: ["--max-semi-space-size=1"] },
  { variant: "--max-old-space-size=64", flags: ["--max-old-space-size=64"] },
  { variant: "semi-space=1 + old-space=64", flags: ["--max-semi-space-size=1", "--max-old-space-size=64"] },
  { variant: "defaults, --interval 1h", flags: [], interval: "1h" },
];

async function main(): Promise<void> {
  progress("starting kube-apiserver, etcd and the git server...");
  const [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
  const admin = new KubeClient(loadKubeConfig(cp.adminKubeconfig));
  const running: DaemonProc[] = [];
  const watches: ValueWatch[] = [];
  const launch = async (env: Env, spec: DaemonSpec) => {
    const d = await startDaemon(env, spec);
    running.push(d);
    return d;
  };
  const stopAll = async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
  };
  // Holds a private age key and the daemons' data: removed at the end.
  const work = mkdtempSync(path.join(os.tmpdir(), "sealsync-bench-daemon-"));
  try {
    const identity = await generateAgeIdentity();
    const keysDir = path.join(work, "keys");
    mkdirSync(keysDir);
    writeFileSync(path.join(keysDir, "keys.txt"), formatAgeKeyFile(identity), { mode: 0o600 });
    const passwordFile = path.join(work, "git-password");
    writeFileSync(passwordFile, git.password, { mode: 0o600 });
    writeFileSync(path.join(work, "webhook-secret"), `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
    const env: Env = { git, kubeconfig: cp.adminKubeconfig, keysDir, passwordFile, work };
    const webhookArgs = ["--interval", "1h", "--webhook-secret-file", path.join(work, "webhook-secret")];

    // The 1,000-object repo (+ the target ConfigMap), one bare copy per idle daemon so Git requests count apart.
    progress("encrypting 200 SOPS Secrets, pushing the 1,000-object repo...");
    const bigBares = IDLE_VARIANTS.map((_, k) => `big-${k}`);
    const big = await WorkRepo.create(git, path.join(work, "big"), bigBares);
    mkdirSync(path.join(big.dir, "apps"));
    const recipient = ageRecipientOf(identity);
    for (let i = 0; i < APPS; i++) {
      writeFileSync(path.join(big.dir, "apps", `app${i}.yaml`), appManifests(i));
      const enc = await encryptSopsFile(Buffer.from(secretManifest(i)), { format: "yaml", file: `app${i}-secret.sops.yaml`, recipients: [recipient] });
      writeFileSync(path.join(big.dir, "apps", `app${i}-secret.sops.yaml`), enc);
    }
    writeFileSync(path.join(big.dir, "apps", `${TARGET}.yaml`), targetManifest("0"));
    const bigSha = await big.commitAndPush("1,000 objects", bigBares);
    const tiny = await WorkRepo.create(git, path.join(work, "tiny"), ["tiny"]);
    mkdirSync(path.join(tiny.dir, "apps"));
    writeFileSync(path.join(tiny.dir, "apps", `${TARGET}.yaml`), targetManifest("0"));
    const tinySha = await tiny.commitAndPush("1 object", ["tiny"]);
    const bigNs = IDLE_VARIANTS.map((_, k) => `bench-big-${k}`);
    for (const ns of [...bigNs, "bench-tiny"]) await admin.request("POST", "/api/v1/namespaces", { body: { metadata: { name: ns } } });

    // ---- 2. idle: all variants side by side, each in its own namespace ----
    progress(`idle: starting ${IDLE_VARIANTS.length} daemons (--interval 10s), cold-syncing 1,000 objects each...`);
    const idleStart = Date.now();
    const idle = await Promise.all(IDLE_VARIANTS.map((v, k) => launch(env, {
      name: `idle-${k}`, nodeFlags: v.flags, env: v.env, repoUrl: big.url(bigBares[k] ?? ""), namespace: bigNs[k] ?? "", extra: ["--interval", v.interval ?? "10s"],
    })));
    const firstSync = await Promise.all(idle.map(async (d) => {
      try {
        await d.waitLog(syncedAt(bigSha), 240_000, "the first sync");
        return { s: (Date.now() - idleStart) / 1000 };
      } catch (err) {
        return { s: NaN, crashed: (err as Error).message.split("\n")[0] };
      }
    }));
    await sleep(2000); // let the first pass's status write and Events finish
    progress(`idle: first syncs done (${firstSync.map((f) => f.s.toFixed(1)).join(", ")} s); measuring a ${IDLE_WINDOW_S} s window...`);
    const alive = (d: DaemonProc) => d.child.exitCode === null && d.child.signalCode === null;
    const none = (names: string[]) => Object.fromEntries(names.map((n) => [n, NaN]));
    const scrape = (names: string[]) => Promise.all(idle.map((d) => (alive(d) ? daemonMetrics(d, names).catch(() => none(names)) : none(names))));
    const fetchStart = await scrape([FETCH_COUNT, FETCH_SUM]);
    const cpuStart = idle.map((d) => (alive(d) ? cpuSeconds(d.pid) : NaN));
    const gitStart = bigBares.map((b) => gitRequestsFor(git, b));
    const apiStart = await apiRequestTotal(admin);
    const rss: number[][] = idle.map(() => []);
    const windowStart = Date.now();
    while (Date.now() - windowStart < IDLE_WINDOW_S * 1000) {
      idle.forEach((d, k) => { if (alive(d)) rss[k]?.push(memKiB(d.pid, "VmRSS")); });
      await sleep(1000);
    }
    const windowS = (Date.now() - windowStart) / 1000;
    const cpuEnd = idle.map((d) => (alive(d) ? cpuSeconds(d.pid) : NaN));
    const apiEnd = await apiRequestTotal(admin);
    const fetchEnd = await scrape([FETCH_COUNT, FETCH_SUM]);
    const heaps = await scrape([HEAP_USED, HEAP_TOTAL, EXTERNAL]);
    const idleResults: IdleResult[] = idle.map((d, k) => {
      const up = alive(d);
      const fetched = (name: string) => (fetchEnd[k]?.[name] ?? NaN) - (fetchStart[k]?.[name] ?? NaN);
      const heapMiB = (name: string) => (heaps[k]?.[name] ?? NaN) / 1048576;
      const cpuS = (cpuEnd[k] ?? NaN) - (cpuStart[k] ?? NaN);
      return {
        variant: IDLE_VARIANTS[k]?.variant ?? "?", firstSyncS: firstSync[k]?.s ?? NaN, startupCpuS: cpuStart[k] ?? NaN,
        hwmMiB: up ? MiB(memKiB(d.pid, "VmHWM")) : NaN, rssMedianMiB: MiB(median(rss[k] ?? [])), rssMaxMiB: MiB(Math.max(...(rss[k] ?? [NaN]))),
        cpuS, cpuPct: (cpuS / windowS) * 100, gitRequests: gitRequestsFor(git, bigBares[k] ?? "") - (gitStart[k] ?? 0),
        polls: fetched(FETCH_COUNT), fetchMs: (fetched(FETCH_SUM) * 1000) / fetched(FETCH_COUNT),
        heap: { usedMiB: heapMiB(HEAP_USED), totalMiB: heapMiB(HEAP_TOTAL), externalMiB: heapMiB(EXTERNAL) },
        crashed: firstSync[k]?.crashed ?? (up ? undefined : `exited (${d.child.exitCode ?? d.child.signalCode})`),
      };
    });
    const apiIdle: Record<string, number> = {};
    for (const verb of Object.keys(apiEnd)) {
      const dlt = (apiEnd[verb] ?? 0) - (apiStart[verb] ?? 0);
      if (dlt > 0) apiIdle[verb] = dlt;
    }
    apiIdle.GET = (apiIdle.GET ?? 0) - 1; // our own /metrics read
    await stopAll();

    // ---- 1 and 3: latency, on the tiny repo, then on the 1,000-object one (namespace of idle daemon 0, already synced) ----
    const latency: Record<string, LatencySample[]> = {};
    /** RSS of each latency daemon after its first pass and at its end: does it grow with commits? */
    interface Mem { rss: number; heap: number; external: number }
    const growth: { name: string; first: Mem; end: Mem; commits: number; packs: { count: number; MiB: number } }[] = [];
    const memNow = async (d: DaemonProc): Promise<Mem> => {
      const m = await daemonMetrics(d, [HEAP_USED, EXTERNAL]);
      return { rss: MiB(memKiB(d.pid, "VmRSS")), heap: (m[HEAP_USED] ?? NaN) / 1048576, external: (m[EXTERNAL] ?? NaN) / 1048576 };
    };
    for (const [label, repo, bare, ns, sha] of [
      ["1 object", tiny, "tiny", "bench-tiny", tinySha],
      ["1,000 objects", big, bigBares[0] ?? "", bigNs[0] ?? "", bigSha],
    ] as const) {
      const watch = new ValueWatch(admin, ns);
      watches.push(watch);
      await watch.ready;

      progress(`${label}: webhook latency (${LATENCY_SAMPLES} commits)...`);
      let d = await launch(env, { name: `hook-${bare}`, repoUrl: repo.url(bare), namespace: ns, extra: webhookArgs });
      await d.waitLog(syncedAt(sha), 240_000, "the first sync");
      let first = await memNow(d);
      latency[`webhook, ${label}`] = await commitLatency("webhook", d, repo, bare, watch, LATENCY_SAMPLES, 0);

      progress(`${label}: drift-correction latency (${DRIFT_SAMPLES} edits)...`);
      const gitValue = (await repo.run(["show", `HEAD:apps/${TARGET}.yaml`])).match(/v: "(.*)"/)?.[1] ?? "";
      latency[`drift, ${label}`] = await driftLatency(admin, d, ns, watch, gitValue, DRIFT_SAMPLES);
      growth.push({ name: `webhook daemon, ${label}`, first, end: await memNow(d), commits: LATENCY_SAMPLES, packs: packs(d.dataDir) });
      await stopAll();

      progress(`${label}: 1 s poll latency (${LATENCY_SAMPLES} commits)...`);
      const head = await repo.run(["rev-parse", "HEAD"]);
      d = await launch(env, { name: `poll-${bare}`, repoUrl: repo.url(bare), namespace: ns, extra: ["--interval", "1s"] });
      await d.waitLog(syncedAt(head), 240_000, "the first sync");
      first = await memNow(d);
      latency[`1 s poll, ${label}`] = await commitLatency("poll", d, repo, bare, watch, LATENCY_SAMPLES, 1000);
      growth.push({ name: `1 s poll daemon, ${label}`, first, end: await memNow(d), commits: LATENCY_SAMPLES, packs: packs(d.dataDir) });
      await stopAll();
      watch.close();
    }

    // ---- report ----
    const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "—");
    console.log(`\nsealsync run benchmark — node ${process.version}, ${os.cpus().length} CPUs, load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
    console.log(`Repo: ${APPS * 2} ConfigMaps, ${APPS} Deployments (replicas 0), ${APPS} Services, ${APPS} SOPS Secrets + the target ConfigMap = 1,001 objects;`);
    console.log("every daemon with leader election on (the defaults: Lease renewed every 5 s), admin kubeconfig, --ref main.");

    console.log(`\n1, 3. Latency: commit = end of git push → a watch shows the new value; drift = merge-patch by "kubectl-edit" → a watch shows the Git value again`);
    console.log(`${"measurement".padEnd(26)} ${"n".padStart(3)} ${"median".padStart(8)} ${"p90".padStart(8)} ${"min".padStart(8)} ${"max".padStart(8)}   ${"pass"} (median durationMs of the daemon's "synced" lines)`);
    for (const [name, s] of Object.entries(latency)) {
      const ms = s.map((x) => x.ms);
      console.log(`${name.padEnd(26)} ${String(s.length).padStart(3)} ${f(median(ms)).padStart(5)} ms ${f(pct(ms, 90)).padStart(5)} ms ${f(Math.min(...ms)).padStart(5)} ms ${f(Math.max(...ms)).padStart(5)} ms   ${f(median(s.map((x) => x.passMs)))} ms`);
    }
    console.log(`\nMemory of the latency daemons, after their first pass → after ${LATENCY_SAMPLES} commits (the webhook daemons also corrected ${DRIFT_SAMPLES} drifts), and their Git object store:`);
    for (const g of growth) {
      console.log(`${g.name.padEnd(30)} RSS ${f(g.first.rss).padStart(3)} → ${f(g.end.rss).padStart(3)} MiB, heap used ${f(g.first.heap).padStart(2)} → ${f(g.end.heap).padStart(2)} MiB, ` +
        `external ${f(g.first.external, 1).padStart(4)} → ${f(g.end.external, 1).padStart(4)} MiB; ${g.packs.count} pack files, ${f(g.packs.MiB, 2)} MiB`);
    }

    console.log(`\n2. Idle with 1,001 managed objects, --interval 10s unless said: a ${f(windowS, 1)} s window from 2 s after the first sync; the daemons ran side by side, one namespace each`);
    console.log(`${"node flags".padEnd(28)} ${"1st sync".padStart(8)} ${"CPU 1st".padStart(7)} ${"peak RSS".padStart(9)} ${"RSS med".padStart(8)} ${"RSS max".padStart(8)} ${"heap used/total".padStart(16)} ${"ext".padStart(4)} ${"idle CPU".padStart(8)} ${"CPU s".padStart(5)} ${"polls".padStart(5)} ${"fetch".padStart(6)} ${"Git req".padStart(7)}`);
    for (const r of idleResults) {
      console.log(`${r.variant.padEnd(28)} ${f(r.firstSyncS, 1).padStart(6)} s ${f(r.startupCpuS, 1).padStart(5)} s ${f(r.hwmMiB).padStart(5)} MiB ${f(r.rssMedianMiB).padStart(4)} MiB ${f(r.rssMaxMiB).padStart(4)} MiB ${`${f(r.heap.usedMiB)}/${f(r.heap.totalMiB)}`.padStart(12)} MiB ${f(r.heap.externalMiB).padStart(4)} ${f(r.cpuPct, 2).padStart(6)} % ${f(r.cpuS, 2).padStart(5)} ${f(r.polls).padStart(5)} ${f(r.fetchMs).padStart(3)} ms ${String(r.gitRequests).padStart(7)}${r.crashed ? `   FAILED: ${r.crashed}` : ""}`);
    }
    console.log(`(1st sync: wall time to the first "synced" line, all cold-syncing at once; CPU 1st: CPU seconds used until then; peak RSS: VmHWM; heap/ext: the daemon's nodejs_heap_size_*/nodejs_external_memory_bytes at the end; polls: Git fetches in the window (sealsync_git_fetch_duration_seconds_count), fetch: their mean duration; Git req: GET info/refs seen by the Git server)`);
    console.log(`API requests during the idle window, all ${IDLE_VARIANTS.length} daemons together: ${JSON.stringify(apiIdle)}`);

    const ms = (name: string) => latency[name]?.map((x) => x.ms) ?? [];
    const hook = ms("webhook, 1,000 objects");
    const hookTiny = ms("webhook, 1 object");
    const poll = ms("1 s poll, 1,000 objects");
    const base = idleResults[0];
    const hourly = idleResults.find((r) => r.variant.includes("1h"));
    if (base && hourly && base.polls > 0) {
      const perPoll = (base.cpuS - hourly.cpuS) / base.polls;
      console.log(`CPU per poll with 1,000 objects ≈ ${f(perPoll * 1000)} ms (defaults at 10 s minus defaults at 1h, over ${base.polls} polls); ` +
        `so at the default --interval 60s, idle CPU ≈ ${f(hourly.cpuPct + (perPoll / 60) * 100, 2)} %`);
    }
    console.log(`\nSummary`);
    console.log(`${"goal".padEnd(52)} ${"measured".padStart(12)}  met`);
    const row = (goal: string, value: string, ok: boolean) => console.log(`${goal.padEnd(52)} ${value.padStart(12)}  ${ok ? "yes" : "NO"}`);
    row("webhook commit→applied <= 1 s, 1 object (median)", `${f(median(hookTiny))} ms`, median(hookTiny) <= 1000);
    row("webhook commit→applied <= 1 s, 1,000 objects (median)", `${f(median(hook))} ms`, median(hook) <= 1000);
    row("webhook commit→applied <= 1 s, 1,000 objects (p90)", `${f(pct(hook, 90))} ms`, pct(hook, 90) <= 1000);
    row("idle CPU ≈ 0 (< 1 %), 1,000 objects, --interval 10s", `${f(base?.cpuPct ?? NaN, 2)} %`, (base?.cpuPct ?? NaN) < 1);
    if (hourly) row("idle CPU ≈ 0 (< 1 %), 1,000 objects, --interval 1h", `${f(hourly.cpuPct, 2)} %`, hourly.cpuPct < 1);
    row("idle RSS <= 80 MiB (median), node defaults", `${f(base?.rssMedianMiB ?? NaN)} MiB`, (base?.rssMedianMiB ?? NaN) <= 80);
    const v8 = idleResults.slice(1).filter((r) => r.variant.startsWith("-") || r.variant.includes("space"));
    for (const r of v8) row(`idle RSS <= 80 MiB (median), ${r.variant}`, `${f(r.rssMedianMiB)} MiB`, r.rssMedianMiB <= 80);
    console.log(`ratios: 1 s poll / webhook (1,000 objects) ${f(median(poll) / median(hook), 2)}x; webhook 1,000 objects / 1 object ${f(median(hook) / median(hookTiny), 1)}x; ` +
      `drift / webhook (1,000 objects) ${f(median(ms("drift, 1,000 objects")) / median(hook), 2)}x`);
    if (base) {
      console.log("V8 flags vs defaults, idle: " + v8.map((r) => `${r.variant}: RSS ${f(r.rssMedianMiB / base.rssMedianMiB, 2)}x, CPU ${f(r.cpuS / base.cpuS, 2)}x`).join("; "));
    }
    progress("done");
  } finally {
    for (const w of watches) w.close();
    await stopAll();
    admin.close();
    await Promise.all([cp.stop(), git.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
