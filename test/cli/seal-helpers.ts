/** Running the built `seal` CLI as a user would: fresh HOME per test, real age/sops next to it. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot, testAssets } from "../env/assets.js";
import { run, runAsync, type RunResult } from "../env/run.js";

export const sealJs = path.join(repoRoot, "dist/cli/seal.js");

export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  seal(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string }): RunResult;
  /** For when the test process itself must keep serving (an in-process HTTP server) while seal runs. */
  sealAsync(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult>;
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
    sealAsync: (args, opts = {}) => runAsync(process.execPath, [sealJs, ...args], { input: opts.input, cwd: opts.cwd ?? dir, env: { ...env, ...opts.env } }),
    sops: (args, opts = {}) => run(testAssets().sops, args, { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env } }),
    ageKeygen(file) {
      const res = run(testAssets().ageKeygen, ["-o", file], { cwd: dir });
      if (res.exitCode !== 0) throw new Error(res.stderr);
      return /public key: (age1\S+)/i.exec(res.stderr)![1]!;
    },
  };
}

let nowhere: string | undefined;

/** kubeseal's environment: a kubeconfig that points nowhere (127.0.0.1:1) and no SEALED_SECRETS_* variables. */
function kubesealEnv(): NodeJS.ProcessEnv {
  if (!nowhere) {
    nowhere = mkdtempSync(path.join(os.tmpdir(), "seal-kubeseal-"));
    writeFileSync(path.join(nowhere, "kubeconfig"), [
      "apiVersion: v1", "kind: Config", "current-context: nowhere",
      "clusters: [{name: nowhere, cluster: {server: 'https://127.0.0.1:1'}}]",
      "users: [{name: nobody, user: {token: none}}]",
      "contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody, namespace: not-used}}]", "",
    ].join("\n"));
  }
  const env: NodeJS.ProcessEnv = { KUBECONFIG: path.join(nowhere, "kubeconfig") };
  for (const k of Object.keys(process.env)) if (k.startsWith("SEALED_SECRETS_")) env[k] = undefined;
  return env;
}

/** The real kubeseal, working offline from its --cert / --recovery-* flags alone. */
export function kubeseal(args: string[], input?: string | Buffer): RunResult {
  return run(testAssets().kubeseal, args, { input, env: kubesealEnv() });
}

/** The same, without blocking this process (for a --cert URL served by an in-process server). */
export function kubesealAsync(args: string[], input?: string | Buffer): Promise<RunResult> {
  return runAsync(testAssets().kubeseal, args, { input, env: kubesealEnv() });
}

/** kubeseal --recovery-unseal with the given private key files (JSON out). */
export function kubesealUnseal(sealed: string, keyFiles: string[]): RunResult {
  return kubeseal(["--recovery-unseal", "--recovery-private-key", keyFiles.join(","), "-o", "json"], sealed);
}
