/** The running test environment as global setup describes it to test workers (via a JSON file). */
import { readFileSync } from "node:fs";
import type { ControlPlaneInfo } from "./control-plane.js";
import type { GitServerInfo } from "./git-server.js";

export const STATE_ENV = "SEALSYNC_TEST_ENV_STATE";

export interface TestEnvState {
  /** The jest main process, which owns the servers (and starts the workload controllers on request). */
  ownerPid: number;
  controlPlane: ControlPlaneInfo;
  git: GitServerInfo;
}

let cached: TestEnvState | undefined;

export function testEnvState(): TestEnvState {
  if (cached) return cached;
  const file = process.env[STATE_ENV];
  if (!file) {
    throw new Error(`${STATE_ENV} is not set: run tests through jest with test/env/global-setup.ts (npm test)`);
  }
  cached = JSON.parse(readFileSync(file, "utf8")) as TestEnvState;
  return cached;
}
