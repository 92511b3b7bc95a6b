/**
 * Finding 8 at the loop: a pass that never returns (a server that stops answering, whatever it is stuck
 * in) is abandoned at its deadline and counted as failed, stop() abandons it after its grace period,
 * and liveness turns unhealthy when passes stop completing.
 */
import { describe, expect, it } from "@jest/globals";
import { ReconcileLoop, type PassOutcome } from "../../src/reconcile/loop.js";

/** A pass stuck forever: it ignores its signal on purpose, like a call with no deadline of its own. */
const stuck = (seen: AbortSignal[]) => (_t: unknown, signal: AbortSignal) => {
  seen.push(signal);
  return new Promise<PassOutcome>(() => undefined);
};

describe("the reconcile loop's deadlines", () => {
  it("abandons a pass at --sync-timeout, aborts its signal, counts a failure and retries with backoff", async () => {
    const signals: AbortSignal[] = [];
    const loop = new ReconcileLoop({ intervalMs: 60_000, passTimeoutMs: 200, initialBackoffMs: 50, maxBackoffMs: 50, pass: stuck(signals) });
    loop.start();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (signals.length >= 2) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    expect(signals[0]?.aborted).toBe(true);
    expect(loop.status.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(loop.status.lastError).toBe("the sync pass took longer than 0.2 s (--sync-timeout); abandoned");
    await loop.stop();
  });

  it("stop() abandons a stuck pass after its grace period instead of waiting for ever", async () => {
    const signals: AbortSignal[] = [];
    const loop = new ReconcileLoop({ intervalMs: 60_000, passTimeoutMs: 3_600_000, stopGraceMs: 100, pass: stuck(signals) });
    loop.start();
    while (signals.length === 0) await new Promise((r) => setTimeout(r, 10));
    await loop.stop();
    expect(signals[0]?.aborted).toBe(true);
    expect(String((signals[0]?.reason as Error).message)).toBe("shutting down");
  });

  it("health() turns unhealthy when no pass has completed for much longer than the interval and the pass deadline", async () => {
    const loop = new ReconcileLoop({ intervalMs: 1000, passTimeoutMs: 1000, maxBackoffMs: 1000, stopGraceMs: 10, pass: stuck([]) });
    loop.start();
    expect(loop.health()).toEqual({ ok: true });
    const later = Date.now() + 60_000;
    expect(loop.health(later)).toMatchObject({ ok: false, reason: expect.stringMatching(/^no sync pass completed for \d+ s$/) });
    await loop.stop();
    expect(loop.health(later)).toEqual({ ok: true }); // a stopped loop (a standby) is not wedged
  });
});
