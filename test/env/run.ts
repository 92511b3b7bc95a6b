/** Runs a provisioned binary and captures {exitCode, stdout, stderr} together, as tests assert them. */
import { spawnSync } from "node:child_process";

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
