/**
 * Benchmark: what starting a sealsync process costs, side by side with bare `node`.
 *
 *   - `sealsync --version` and `seal --help` (every pre-commit hook runs seal): the bundle in dist/cli/
 *     that users and the image run, and the same commands from tsc's unbundled modules;
 *   - importing the daemon's module graph (src/daemon/daemon.ts and all it loads): bundled by esbuild the
 *     way scripts/bundle.mjs bundles, and as tsc's hundreds of modules.
 *
 * Wall time and peak RSS (GNU time's %M), runs interleaved so
 * machine noise hits every variant alike; medians and ratios to bare node.
 *
 *   npm run build && npx tsx bench/startup.ts [--runs 15]
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { repoRoot } from "../test/env/assets.js";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

// tsc's unbundled output of the two entry files: compile them next to the rest of dist/ under other names.
// Inside the repository, so that the unbundled modules resolve node_modules as they do from dist/.
mkdirSync(path.join(repoRoot, ".cache"), { recursive: true });
const tmp = mkdtempSync(path.join(repoRoot, ".cache", "startup-"));
const daemonBundle = path.join(tmp, "daemon-graph.js");
await build({
  absWorkingDir: repoRoot, entryPoints: ["src/daemon/daemon.ts"], outfile: daemonBundle, bundle: true, format: "esm",
  platform: "node", target: "node20", minify: true, logLevel: "error",
  banner: { js: "import{createRequire as __r}from'node:module';const require=__r(import.meta.url);" },
  define: { "globalThis.SEALSYNC_VERSION": JSON.stringify("bench") },
});
// tsc's unbundled modules of the same sources, for comparison (dist/cli/ holds the bundle).
const tsc = path.join(tmp, "tsc");
const compiled = spawnSync(process.execPath, [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", tsc], { cwd: repoRoot, encoding: "utf8" });
if (compiled.status !== 0) throw new Error(`tsc failed: ${compiled.stdout}`);
// Unbundled, version.ts reads ../package.json from the output folder.
cpSync(path.join(repoRoot, "package.json"), path.join(tmp, "package.json"));

const importOf = (file: string) => ["--input-type=module", "-e", `await import(${JSON.stringify(`file://${file}`)})`];
const variants: [string, string[]][] = [
  ["bare node (node -e 0)", ["-e", "0"]],
  ["sealsync --version (bundle)", [path.join(repoRoot, "dist/cli/sealsync.js"), "--version"]],
  ["sealsync --version (tsc modules)", [path.join(tsc, "cli/sealsync.js"), "--version"]],
  ["seal --help (bundle)", [path.join(repoRoot, "dist/cli/seal.js"), "--help"]],
  ["seal --help (tsc modules)", [path.join(tsc, "cli/seal.js"), "--help"]],
  ["import daemon graph (bundle)", importOf(daemonBundle)],
  ["import daemon graph (tsc modules)", importOf(path.join(tsc, "daemon/daemon.js"))],
];

const wall = new Map<string, number[]>(variants.map(([n]) => [n, []]));
const rss = new Map<string, number[]>(variants.map(([n]) => [n, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of variants) {
    // GNU time reports the child's peak RSS; the wall clock is taken around it here.
    const t = process.hrtime.bigint();
    const res = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, ...args], { cwd: tmp, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (res.status !== 0) throw new Error(`${name} failed: ${res.stderr}`);
    wall.get(name)!.push(ms);
    rss.get(name)!.push(Number(res.stderr.trim().split("\n").at(-1)) / 1024);
  }
}
rmSync(tmp, { recursive: true, force: true });

const bare = median(wall.get(variants[0]![0])!);
const bareRss = median(rss.get(variants[0]![0])!);
console.log(`start-up, ${runs} interleaved runs, medians`);
console.log(`${"what".padEnd(36)} ${"wall ms".padStart(8)} ${"× node".padStart(7)} ${"peak MiB".padStart(9)} ${"Δ node".padStart(7)}`);
for (const [name] of variants) {
  const w = median(wall.get(name)!);
  const r = median(rss.get(name)!);
  console.log(`${name.padEnd(36)} ${w.toFixed(0).padStart(8)} ${(w / bare).toFixed(2).padStart(7)} ${r.toFixed(0).padStart(9)} ${(r - bareRss).toFixed(0).padStart(7)}`);
}
