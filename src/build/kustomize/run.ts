/**
 * Runs the real kustomize on a prepared tree: written to a fresh 0700 folder under the data directory
 * (placeholders and plain files only), built, and removed whatever happens. kustomize gets no stdin, a
 * bare environment and a deadline; its messages name repository paths, not the temporary folder.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface RunOptions {
  /** The kustomize binary (or kubectl: then `kubectl kustomize` is run). */
  command: string;
  dataDir: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

export class KustomizeRunError extends Error {
  override name = "KustomizeRunError";
}

export const DEFAULT_KUSTOMIZE_COMMAND = "kustomize";

export interface RunOutput {
  stdout: Uint8Array;
  /** What kustomize said on success (deprecation warnings), temporary paths made repository-relative. */
  warnings: string[];
}

export async function runKustomize(files: ReadonlyMap<string, Uint8Array>, root: string, opts: RunOptions): Promise<RunOutput> {
  const base = path.join(opts.dataDir, "kustomize");
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(path.join(base, "build-")); // mkdtemp makes it 0700
  try {
    for (const [p, bytes] of files) {
      mkdirSync(path.dirname(path.join(tmp, p)), { recursive: true, mode: 0o700 });
      writeFileSync(path.join(tmp, p), bytes, { mode: 0o600 });
    }
    const target = path.join(tmp, root);
    const kubectl = path.basename(opts.command).startsWith("kubectl");
    const args = kubectl ? ["kustomize", target] : ["build", target];
    return await run(opts.command, args, tmp, opts);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, opts: RunOptions): Promise<RunOutput> {
  const limit = opts.maxOutputBytes ?? 256 * 1024 * 1024;
  const relative = (text: string) => text.split(`${cwd}/`).join("").split(cwd).join(".");
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd, stdio: ["ignore", "pipe", "pipe"],
      // No credentials, no proxies, no git config: nothing that would let it fetch or leak.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd },
      timeout: opts.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    child.stdout.on("data", (b: Buffer) => {
      size += b.length;
      if (size > limit) child.kill("SIGKILL");
      else out.push(b);
    });
    child.stderr.on("data", (b: Buffer) => err.length < 64 && err.push(b));
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(new KustomizeRunError(e.code === "ENOENT"
        ? `${command} not found: install kustomize v5 (or kubectl) and put it on PATH, or pass --kustomize-command`
        : `cannot run ${command}: ${e.code ?? e.message}`));
    });
    child.on("close", (code, signal) => {
      if (size > limit) return reject(new KustomizeRunError(`kustomize printed more than ${limit} bytes; refusing a build that large`));
      const said = relative(Buffer.concat(err).toString("utf8")).split("\n").map((l) => l.replace(/^# /, "").trim()).filter(Boolean);
      if (code === 0) return resolve({ stdout: Buffer.concat(out), warnings: said });
      const why = signal ? `was stopped (${signal}${signal === "SIGTERM" ? ", over the deadline" : ""})` : `failed (exit ${code})`;
      const message = relative(Buffer.concat(err).toString("utf8")).trim().replace(/^Error: /, "");
      reject(new KustomizeRunError(`kustomize build ${why}${message ? `: ${message}` : ""}`));
    });
  });
}
