/**
 * Turns drift signals from the watches into passes: a burst of edits (e.g. kubectl apply of many
 * objects) waits one debounce and becomes one pass; an object that keeps being changed back (another
 * controller owning a field Git also sets) waits twice as long each time, up to 5 minutes, instead of
 * a tug of war at full speed.
 */
import type { Logger } from "../log.js";
import { Backoff } from "../util/backoff.js";
import type { DriftSignal } from "./drift-watch.js";

const DRIFT_DEBOUNCE_MS = 1000;
const DRIFT_MEMORY_MS = 600_000;
/** 1 s, 2 s, 4 s … 5 min by the corrections of one object in the last DRIFT_MEMORY_MS. */
const delays = new Backoff({ initialMs: DRIFT_DEBOUNCE_MS, maxMs: 300_000 });

export const driftKey = (o: { group: string; kind: string; name: string }) => `${o.group}/${o.kind}/${o.name}`;

export class DriftBackoff {
  #pending = new Map<string, DriftSignal>();
  /** When each object was last drift-corrected. */
  #corrections = new Map<string, number[]>();
  #timer?: NodeJS.Timeout;

  constructor(private readonly opts: { log: Logger; trigger(): void }) {}

  signal(s: DriftSignal): void {
    const key = driftKey(s);
    this.#pending.set(key, s);
    this.opts.log.info({ kind: s.kind, name: s.name, change: s.type, fieldManager: s.fieldManager }, "drift detected");
    const recent = this.#recent(key);
    const delay = delays.delay(recent.length - 1);
    if (delay > DRIFT_DEBOUNCE_MS) {
      this.opts.log.warn({ kind: s.kind, name: s.name, fieldManager: s.fieldManager, corrections: recent.length, delayMs: delay },
        "drift keeps coming back; backing off (does another controller own a field that Git also sets?)");
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.opts.trigger(), delay);
  }

  /** The drift seen since the last pass (by driftKey), which this pass now owns. */
  take(): Map<string, DriftSignal> {
    const drift = new Map(this.#pending);
    this.#pending.clear();
    return drift;
  }

  corrected(key: string): void {
    this.#corrections.set(key, [...this.#recent(key), Date.now()]);
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  #recent(key: string): number[] {
    return (this.#corrections.get(key) ?? []).filter((t) => Date.now() - t < DRIFT_MEMORY_MS);
  }
}
