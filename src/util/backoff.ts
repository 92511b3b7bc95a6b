/**
 * Exponential back-off, as client-go's wait.Backoff: each next() waits `factor` times longer than the
 * one before, from `initialMs` up to `maxMs`, with up to `jitter` × the delay added at random so that
 * many retrying clients do not ask in step; reset() after a success starts again from `initialMs`.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Default 2. */
  factor?: number;
  /** Fraction of each delay added at random (default 0: exact delays). */
  jitter?: number;
}

export class Backoff {
  #steps = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** The delay after `step` failures in a row (0: the first retry), without jitter and without counting. */
  delay(step: number): number {
    return Math.min(this.opts.initialMs * (this.opts.factor ?? 2) ** Math.max(0, step), this.opts.maxMs);
  }

  /** The next delay; each call counts one more failure. */
  next(): number {
    return withJitter(this.delay(this.#steps++), this.opts.jitter ?? 0);
  }

  reset(): void {
    this.#steps = 0;
  }

  /** Failures counted since the last reset. */
  get steps(): number {
    return this.#steps;
  }
}

/** `ms` plus up to `fraction` × `ms` at random: [ms, ms × (1 + fraction)). */
export function withJitter(ms: number, fraction: number): number {
  return fraction > 0 ? Math.round(ms * (1 + Math.random() * fraction)) : ms;
}
