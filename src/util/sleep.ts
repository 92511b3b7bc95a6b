import { setTimeout as delay } from "node:timers/promises";

/** Waits `ms`, or less when `signal` aborts first; resolves either way (a stop is not an error). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
