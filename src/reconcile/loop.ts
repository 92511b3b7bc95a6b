/**
 * The reconcile loop, git-sync style: one pass at a time; a pass is woken by a timer (interval with
 * jitter), a webhook, drift, a key reload or leadership. A failing pass is retried with exponential
 * backoff (1 s → 5 min) while the last good revision stays in force; a success resets it.
 *
 * Triggers that arrive during a pass are coalesced into one more pass right after it. stop() lets the
 * running pass finish (the reconcile's own steps keep the inventory consistent) and starts no other.
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
  /** One pass; `triggers` says why it runs. Must not throw (return ok: false). */
  pass(triggers: Set<SyncTrigger>): Promise<PassOutcome>;
}

export class ReconcileLoop {
  readonly status: LoopStatus = { phase: "Reconciling", consecutiveFailures: 0 };
  #pending = new Set<SyncTrigger>();
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = true;

  readonly #retry: Backoff;

  constructor(private readonly opts: LoopOptions) {
    this.#retry = new Backoff({ initialMs: opts.initialBackoffMs ?? 1000, maxMs: opts.maxBackoffMs ?? 300_000 });
  }

  /** Starts with an immediate pass. */
  start(trigger: SyncTrigger = "startup"): void {
    this.#stopped = false;
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

  /** Finishes the running pass, then runs no more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
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
    const outcome = await this.opts.pass(triggers);
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
