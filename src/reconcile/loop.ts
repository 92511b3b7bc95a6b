/**
 * The reconcile loop, git-sync style: one pass at a time; a pass is woken by a timer (interval with
 * jitter), a webhook, drift, a key reload or leadership. A failing pass is retried with exponential
 * backoff (1 s → 5 min) while the last good revision stays in force; a success resets it.
 *
 * Triggers that arrive during a pass are coalesced into one more pass right after it. stop() lets the
 * running pass finish (the reconcile's own steps keep the inventory consistent) and starts no other —
 * but a pass has a deadline (a Git server or API server that stops answering must not wedge the
 * loop): past it, or past stop()'s grace period, its AbortSignal fires and the loop moves on, counting
 * it as failed. health() tells liveness whether passes still complete.
 */
import type { SyncTrigger } from "../audit/index.js";
import { Backoff, withJitter } from "../util/backoff.js";

export interface PassOutcome {
  /** The revision attempted (a commit SHA), when the fetch got that far. */
  revision?: string;
  ok: boolean;
  error?: Error;
}

/** Failures in a row after which the phase is Stalled (still retrying). */
export const STALLED_AFTER = 5;

export type Phase = "Reconciling" | "Ready" | "Stalled";

export interface LoopStatus {
  phase: Phase;
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastError?: string;
  lastSuccessTime?: string;
  consecutiveFailures: number;
}

export interface LoopOptions {
  intervalMs: number;
  /** Fraction of the interval added at random (default 0.1), so replicas of many apps do not poll in step. */
  jitter?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Deadline of one pass (default 10 minutes). */
  passTimeoutMs?: number;
  /** How long stop() waits for a running pass before abandoning it (default 3 s). */
  stopGraceMs?: number;
  /** One pass; `triggers` says why it runs; `signal` fires when it is abandoned. Must not throw (return ok: false). */
  pass(triggers: Set<SyncTrigger>, signal: AbortSignal): Promise<PassOutcome>;
}

export const DEFAULT_PASS_TIMEOUT_MS = 600_000;

export class ReconcileLoop {
  readonly status: LoopStatus = { phase: "Reconciling", consecutiveFailures: 0 };
  #pending = new Set<SyncTrigger>();
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = true;
  #abort?: AbortController;
  /** When a pass last completed (or the loop started): liveness looks at it. */
  #lastProgress = Date.now();

  readonly #retry: Backoff;

  constructor(private readonly opts: LoopOptions) {
    this.#retry = new Backoff({ initialMs: opts.initialBackoffMs ?? 1000, maxMs: opts.maxBackoffMs ?? 300_000 });
  }

  /** Starts with an immediate pass. */
  start(trigger: SyncTrigger = "startup"): void {
    this.#stopped = false;
    this.#lastProgress = Date.now();
    this.trigger(trigger);
  }

  /** Asks for a pass as soon as possible (after the running one, and after a backoff wait). */
  trigger(reason: SyncTrigger): void {
    if (this.#stopped) return;
    this.#pending.add(reason);
    if (this.#running) return;
    if (this.status.consecutiveFailures > 0 && reason === "timer") return; // backoff owns the timer
    this.#schedule(this.status.consecutiveFailures > 0 && this.#timer ? undefined : 0);
  }

  /** Finishes the running pass (abandoning it after the grace period), then runs no more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#running) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.stopGraceMs ?? 3000)));
    await Promise.race([this.#running, grace]);
    clearTimeout(timer);
    this.#abort?.abort(new Error("shutting down"));
    await this.#running;
  }

  /**
   * Liveness: unhealthy when no pass has completed for much longer than any pass can take plus the
   * longest wait between passes (the interval, or the backoff) — a wedged loop, which only a restart fixes.
   */
  health(now = Date.now()): { ok: true } | { ok: false; reason: string } {
    if (this.#stopped) return { ok: true };
    const wait = Math.max(this.opts.intervalMs * (1 + (this.opts.jitter ?? 0.1)), this.opts.maxBackoffMs ?? 300_000);
    const limit = 2 * (wait + (this.opts.passTimeoutMs ?? DEFAULT_PASS_TIMEOUT_MS));
    const idle = now - this.#lastProgress;
    return idle <= limit ? { ok: true } : { ok: false, reason: `no sync pass completed for ${Math.round(idle / 1000)} s` };
  }

  /** Resolves when no pass is running or pending (tests, demo). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #schedule(delayMs: number | undefined): void {
    if (delayMs === undefined || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => (this.#running = undefined)).then(() => this.#afterPass());
    }, delayMs);
    this.#timer.unref?.();
  }

  async #run(): Promise<void> {
    const triggers = this.#pending.size ? this.#pending : new Set<SyncTrigger>(["timer"]);
    this.#pending = new Set();
    if (this.status.phase !== "Stalled") this.status.phase = "Reconciling";
    const outcome = await this.#runPass(triggers);
    this.#lastProgress = Date.now();
    if (outcome.revision) this.status.lastAttemptedRevision = outcome.revision;
    if (outcome.ok) {
      this.status.phase = "Ready";
      this.status.lastAppliedRevision = outcome.revision ?? this.status.lastAppliedRevision;
      this.status.lastError = undefined;
      this.status.lastSuccessTime = new Date().toISOString();
      this.status.consecutiveFailures = 0;
    } else {
      this.status.consecutiveFailures++;
      this.status.lastError = outcome.error?.message;
      this.status.phase = this.status.consecutiveFailures >= STALLED_AFTER ? "Stalled" : "Reconciling";
    }
  }

  /** The pass, raced against its deadline and stop(): an abandoned pass is a failed one. */
  async #runPass(triggers: Set<SyncTrigger>): Promise<PassOutcome> {
    const abort = (this.#abort = new AbortController());
    const timeoutMs = this.opts.passTimeoutMs ?? DEFAULT_PASS_TIMEOUT_MS;
    const timer = setTimeout(() => abort.abort(new Error(`the sync pass took longer than ${timeoutMs / 1000} s (--sync-timeout); abandoned`)), timeoutMs);
    const abandoned = new Promise<PassOutcome>((resolve) => {
      abort.signal.addEventListener("abort", () => resolve({ ok: false, error: abort.signal.reason as Error }), { once: true });
    });
    try {
      return await Promise.race([
        this.opts.pass(triggers, abort.signal).catch((err: unknown) => ({ ok: false, error: err as Error })),
        abandoned,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #afterPass(): void {
    if (this.#stopped) return;
    const failures = this.status.consecutiveFailures;
    if (failures > 0) {
      // Retry the failure with backoff; triggers that came in meanwhile ride along.
      this.#schedule(this.#retry.delay(failures - 1));
    } else if (this.#pending.size > 0) {
      this.#schedule(0);
    } else {
      this.#schedule(withJitter(this.opts.intervalMs, this.opts.jitter ?? 0.1));
    }
  }
}
