/** The one back-off helper: doubling delays up to a cap, reset after a success, jitter within its range. */
import { describe, expect, it } from "@jest/globals";
import { Backoff, withJitter } from "../../src/util/backoff.js";

describe("Backoff", () => {
  it("doubles from the initial delay up to the cap, and starts over after reset()", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 5000 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(b.steps).toBe(5);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it("gives the delay after n failures without counting (per-object drift back-off)", () => {
    const b = new Backoff({ initialMs: 500, maxMs: 30_000, factor: 3 });
    expect([b.delay(-1), b.delay(0), b.delay(1), b.delay(2), b.delay(10)]).toEqual([500, 500, 1500, 4500, 30_000]);
    expect(b.steps).toBe(0);
  });

  it("adds at most the jitter fraction, never less than the delay", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2 });
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(1200);
    }
    expect(withJitter(750, 0)).toBe(750);
  });
});
