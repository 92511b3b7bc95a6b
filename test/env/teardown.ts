/** Jest global teardown: stop what global setup started, so no process outlives the run. */
import { rmSync } from "node:fs";
import { STATE_ENV } from "./state.js";

export default async function globalTeardown(): Promise<void> {
  const env = globalThis.sealsyncTestEnv;
  globalThis.sealsyncTestEnv = undefined;
  await env?.stopWorkloads();
  await Promise.all([env?.controlPlane.stop(), env?.git.stop()]);
  const file = process.env[STATE_ENV];
  if (file) rmSync(file, { force: true });
}
