/**
 * Benchmark: a 1,000-object revision from Git (ConfigMaps, Deployments scaled to 0, Services, 200 SOPS
 * Secrets) synced cold by `sealsync sync --once`, against `kubectl apply --server-side` of the same
 * objects already decrypted, then a no-op resync. Prints wall time, API requests (from the apiserver's
 * own request counter) and peak RSS, medians over repeated runs, and the ratios.
 *
 *   npm run build && npx tsx bench/sync.ts [--runs 3]
 *
 * Needs the provisioned test environment (npm run provision). Not part of the test run.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { formatAgeKeyFile, generateAgeIdentity, ageRecipientOf } from "../src/crypto/age.js";
import { encryptSopsFile } from "../src/crypto/sops/index.js";
import { KubeClient, loadKubeConfig } from "../src/kube/client.js";
import { repoRoot, testAssets } from "../test/env/assets.js";
import { startControlPlane } from "../test/env/control-plane.js";
import { startGitServer } from "../test/env/git-server.js";
import { APPS, appManifests, secretManifest } from "./object-mix.js";

const exec = promisify(execFile);
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;


/** Requests the apiserver has served, by verb, from its own metrics (dry-runs counted apart). */
async function requestCounts(admin: KubeClient): Promise<Record<string, number>> {
  const res = await admin.request<string>("GET", "/metrics");
  const text = typeof res.body === "string" ? res.body : String((res.body as { message?: string }).message ?? "");
  const counts: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? "?";
    const dry = /dry_run="All"/.test(line) ? "DRYRUN-" : "";
    counts[dry + verb] = (counts[dry + verb] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return counts;
}

function delta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

const total = (d: Record<string, number>) => Object.values(d).reduce((x, y) => x + y, 0);
const writes = (d: Record<string, number>) => ["POST", "PUT", "PATCH", "DELETE", "APPLY"].reduce((n, v) => n + (d[v] ?? 0), 0);

interface Sample { seconds: number; rssMiB: number; requests: Record<string, number> }

async function timed(admin: KubeClient, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Sample> {
  const before = await requestCounts(admin);
  const { stderr } = await exec("/usr/bin/time", ["-f", "TIME %e %M", cmd, ...args], {
    // The shell's NODE_OPTIONS (e.g. jest's --experimental-vm-modules) must not change what is measured.
    env: { ...process.env, NODE_OPTIONS: "", ...env }, maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stderr?: string; stdout?: string }) => {
    throw new Error(`${cmd} failed: ${err.stderr ?? ""}`.slice(0, 2000));
  });
  const after = await requestCounts(admin);
  const m = /TIME ([\d.]+) (\d+)/.exec(stderr);
  return { seconds: Number(m?.[1]), rssMiB: Number(m?.[2]) / 1024, requests: delta(before, after) };
}

async function main(): Promise<void> {
  const assets = testAssets();
  process.stderr.write("starting kube-apiserver, etcd and the git server...\n");
  const [cp, git] = await Promise.all([startControlPlane(), startGitServer()]);
  const admin = new KubeClient(loadKubeConfig(cp.adminKubeconfig));
  // Holds a private key and plaintext manifests: removed at the end, whatever happens.
  const work = mkdtempSync(path.join(os.tmpdir(), "sealsync-bench-"));
  try {
    const identity = await generateAgeIdentity();
    const keysDir = path.join(work, "keys");
    mkdirSync(keysDir);
    writeFileSync(path.join(keysDir, "keys.txt"), formatAgeKeyFile(identity), { mode: 0o600 });
    const recipient = ageRecipientOf(identity);

    // The repo (encrypted) and the same objects decrypted, for kubectl.
    const repoDir = path.join(work, "repo");
    const plainDir = path.join(work, "plain");
    mkdirSync(path.join(repoDir, "apps"), { recursive: true });
    mkdirSync(plainDir);
    for (let i = 0; i < APPS; i++) {
      writeFileSync(path.join(repoDir, "apps", `app${i}.yaml`), appManifests(i));
      writeFileSync(path.join(plainDir, `app${i}.yaml`), appManifests(i));
      const secret = secretManifest(i);
      writeFileSync(path.join(plainDir, `app${i}-secret.yaml`), secret);
      const enc = await encryptSopsFile(Buffer.from(secret), { format: "yaml", file: `app${i}-secret.yaml`, recipients: [recipient] });
      writeFileSync(path.join(repoDir, "apps", `app${i}-secret.sops.yaml`), enc);
    }
    const auth = ["-c", `http.extraHeader=Authorization: Basic ${Buffer.from(`${git.username}:${git.password}`).toString("base64")}`];
    const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "b@x", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "b@x", HOME: work };
    await exec("git", ["init", "--quiet", "--bare", "--initial-branch=main", path.join(git.root, "bench.git")]);
    for (const args of [["init", "--quiet", "--initial-branch=main"], ["add", "-A"], ["commit", "--quiet", "-m", "1000 objects"],
      [...auth, "push", "--quiet", `${git.url}/bench.git`, "HEAD:refs/heads/main"]]) {
      await exec("git", args, { cwd: repoDir, env: gitEnv });
    }
    const passwordFile = path.join(work, "git-password");
    writeFileSync(passwordFile, git.password, { mode: 0o600 });

    const cold: Sample[] = [];
    const noop: Sample[] = [];
    const kubectl: Sample[] = [];
    for (let r = 0; r < runs; r++) {
      const nsS = `bench-sealsync-${r}`;
      const nsK = `bench-kubectl-${r}`;
      for (const ns of [nsS, nsK]) await admin.request("POST", "/api/v1/namespaces", { body: { metadata: { name: ns } } });
      const syncArgs = [path.join(repoRoot, "dist/cli/sealsync.js"), "sync", "--once", "--allow-insecure-http", "--repo", `${git.url}/bench.git`,
        "-n", nsS, "--kubeconfig", cp.adminKubeconfig, "--keys", keysDir, "--data-dir", path.join(work, `data-${r}`),
        "--git-username", git.username, "--git-password-file", passwordFile];
      cold.push(await timed(admin, process.execPath, syncArgs));
      noop.push(await timed(admin, process.execPath, syncArgs));
      kubectl.push(await timed(admin, assets.kubectl, ["--kubeconfig", cp.adminKubeconfig, "--cache-dir", path.join(work, `kcache-${r}`),
        "apply", "--server-side", "--field-manager", "bench", "-n", nsK, "-f", plainDir]));
      process.stderr.write(`run ${r + 1}/${runs}: sealsync cold ${cold[r]?.seconds}s, no-op ${noop[r]?.seconds}s, kubectl ${kubectl[r]?.seconds}s\n`);
    }

    const row = (name: string, s: Sample[]) => {
      const req = s.map((x) => total(x.requests));
      const wr = s.map((x) => writes(x.requests));
      return `${name.padEnd(28)} ${median(s.map((x) => x.seconds)).toFixed(2).padStart(8)} s ${String(median(req)).padStart(7)} req ${String(median(wr)).padStart(6)} writes ${median(s.map((x) => x.rssMiB)).toFixed(0).padStart(5)} MiB`;
    };
    console.log(`\n1,000 objects (${APPS * 2} ConfigMaps, ${APPS} Deployments, ${APPS} Services, ${APPS} SOPS Secrets); medians of ${runs} runs`);
    console.log(row("sealsync sync --once (cold)", cold));
    console.log(row("kubectl apply --server-side", kubectl));
    console.log(row("sealsync sync (no-op)", noop));
    console.log(`requests by verb, sealsync cold: ${JSON.stringify(cold[0]?.requests)}`);
    console.log(`requests by verb, sealsync no-op: ${JSON.stringify(noop[0]?.requests)}`);
    console.log(`requests by verb, kubectl:        ${JSON.stringify(kubectl[0]?.requests)}`);
    const c = median(cold.map((x) => x.seconds));
    const k = median(kubectl.map((x) => x.seconds));
    const n = median(noop.map((x) => x.seconds));
    console.log(`ratio cold sealsync / kubectl: ${(c / k).toFixed(2)}x (goal <= 1.2x)`);
    console.log(`ratio no-op / cold: ${((n / c) * 100).toFixed(1)}% (goal <= 5%), no-op writes: ${median(noop.map((x) => writes(x.requests)))} (goal 0)`);
    console.log(`sealsync peak RSS: ${median(cold.map((x) => x.rssMiB)).toFixed(0)} MiB (goal <= 80 MiB)`);
  } finally {
    admin.close();
    await Promise.all([cp.stop(), git.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
