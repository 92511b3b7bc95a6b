/** Runs a provisioned binary and captures {exitCode, stdout, stderr} together, as tests assert them. */
import { spawn, spawnSync } from "node:child_process";

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): RunResult {
  const res = spawnSync(command, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: { ...process.env, SOPS_DISABLE_VERSION_CHECK: "1", ...opts.env },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (res.error) throw res.error;
  return { exitCode: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Asynchronous run: required for anything that talks to the test Git server, which may live in the
 * same process (jest in band) and must keep serving while the child runs.
 */
export function runAsync(command: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, SOPS_DISABLE_VERSION_CHECK: "1", ...opts.env },
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input);
  });
}
