/** Runs the built `sealsync run` as a real child process and watches its JSON log lines. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../env/assets.js";
import type { SyncFixture } from "../sync/helpers.js";

export interface RunningDaemon {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log line matching, waiting up to timeoutMs. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startDaemon(f: SyncFixture, extra: string[] = [], opts: { keysDir?: string; kubeconfig?: string } = {}): Promise<RunningDaemon> {
  const args = [path.join(repoRoot, "dist/cli/sealsync.js"), "run", "--repo", f.repo.url, "-n", f.namespace,
    "--kubeconfig", opts.kubeconfig ?? f.kubeconfig, "--data-dir", f.dataDir, "--git-username", f.repo.username,
    "--git-password-file", f.passwordFile, "--listen", "127.0.0.1:0", ...(opts.keysDir ? ["--keys", opts.keysDir] : []), ...extra];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let partial = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const p of parts) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(p) as Record<string, unknown>;
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
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000, what = "a log line") => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`daemon exited (${code}) while waiting for ${what}; stdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`)); });
    });
  };
  const started = await waitForLog((l) => l.msg === "sealsync started", 20_000, "start-up");
  return {
    child, url: String(started.listen), lines, waitForLog,
    stdout: () => out, stderr: () => err,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
