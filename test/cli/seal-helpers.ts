/** Running the built `seal` CLI as a user would: fresh HOME per test, real age/sops next to it. */
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot, testAssets } from "../env/assets.js";
import { run, type RunResult } from "../env/run.js";

export const sealJs = path.join(repoRoot, "dist/cli/seal.js");

export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  seal(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string }): RunResult;
  sops(args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): RunResult;
  ageKeygen(file: string): string;
}

/** A temp working dir with its own HOME, so the default key file is empty unless a test makes one. */
export function sandbox(): Sandbox {
  const dir = mkdtempSync(path.join(os.tmpdir(), "seal-cli-"));
  const home = path.join(dir, ".home");
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    // Unset (undefined is dropped by spawn): sops 3.13.2 panics on an empty SOPS_AGE_KEY_CMD.
    XDG_CONFIG_HOME: undefined,
    SOPS_AGE_KEY: undefined,
    SOPS_AGE_KEY_FILE: undefined,
    SOPS_AGE_KEY_CMD: undefined,
    SOPS_AGE_RECIPIENTS: undefined,
    SOPS_CONFIG: undefined,
    SOPS_DISABLE_VERSION_CHECK: "1",
  };
  return {
    dir,
    env,
    seal: (args, opts = {}) => run(process.execPath, [sealJs, ...args], { input: opts.input, cwd: opts.cwd ?? dir, env: { ...env, ...opts.env } }),
    sops: (args, opts = {}) => run(testAssets().sops, args, { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env } }),
    ageKeygen(file) {
      const res = run(testAssets().ageKeygen, ["-o", file], { cwd: dir });
      if (res.exitCode !== 0) throw new Error(res.stderr);
      return /public key: (age1\S+)/i.exec(res.stderr)![1]!;
    },
  };
}
