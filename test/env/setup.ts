/** Jest global setup: one control plane and one Git server for the whole run, shared by all tests. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./assets.js";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { startGitServer, type GitServer } from "./git-server.js";
import { killAll } from "./processes.js";
import { STATE_ENV, type TestEnvState } from "./state.js";

declare global {
  var sealsyncTestEnv: { controlPlane: ControlPlane; git: GitServer } | undefined;
}

export default async function globalSetup(): Promise<void> {
  // Ctrl-C or a CI timeout's SIGTERM must not leave etcd and kube-apiserver behind ("exit" hooks do
  // not run on signals); the signal's default action proceeds afterwards.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
  const [controlPlane, git] = await Promise.all([startControlPlane(), startGitServer()]);
  globalThis.sealsyncTestEnv = { controlPlane, git };
  const { stop: _a, ...cp } = controlPlane;
  const { stop: _b, ...g } = git;
  const state: TestEnvState = { controlPlane: cp, git: g };
  const dir = path.join(repoRoot, ".cache/run");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `test-env-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  // Workers are started after global setup and inherit this.
  process.env[STATE_ENV] = file;
  // The shared Git server is plain HTTP on loopback: every CLI a test starts may use it (the env twin of
  // --allow-insecure-http). Tests of the http:// refusal remove it from their child's environment.
  process.env.SEALSYNC_ALLOW_INSECURE_HTTP = "1";
}
