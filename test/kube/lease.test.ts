/** Leader election on a real Lease, as the sidecar's namespaced ServiceAccount. */
import { afterEach, describe, expect, it } from "@jest/globals";
import { hostname } from "node:os";
import type { KubeClient } from "../../src/kube/client.js";
import { LeaderElector, LeaseConfigError, defaultIdentity, type LeaderElectorOptions } from "../../src/kube/lease.js";
import { createNamespace } from "../env/kube.js";
import { namespacedClient, readLease, revokeAccess, sleep, waitFor } from "./helpers.js";

const electors: LeaderElector[] = [];
const clients: KubeClient[] = [];
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop({ release: false })));
  clients.splice(0).forEach((c) => c.close());
});

/** Short timings so that expiry happens within a test: lease 3 s, renew deadline 2 s, retry 250 ms. */
const FAST = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

function elector(client: KubeClient, namespace: string, identity: string, timing: Partial<LeaderElectorOptions> = FAST) {
  const log: string[] = [];
  const errors: Error[] = [];
  const e = new LeaderElector({ client, namespace, name: "sealsync", identity, ...timing, onError: (err) => void errors.push(err) });
  e.on("started-leading", () => void log.push(`${identity} started`));
  e.on("stopped-leading", () => void log.push(`${identity} stopped`));
  electors.push(e);
  return { e, log, errors };
}

async function pair(prefix: string, timing: Partial<LeaderElectorOptions> = FAST) {
  const namespace = await createNamespace(prefix);
  const [ca, cb] = [await namespacedClient(namespace, "pod-a"), await namespacedClient(namespace, "pod-b")];
  clients.push(ca, cb);
  const events: string[] = [];
  const a = elector(ca, namespace, "pod-a", timing);
  const b = elector(cb, namespace, "pod-b", timing);
  for (const x of [a, b]) {
    x.e.on("started-leading", () => void events.push(`${x.e.identity} started`));
    x.e.on("stopped-leading", () => void events.push(`${x.e.identity} stopped`));
  }
  return { namespace, a, b, events };
}

const leaders = (...es: LeaderElector[]) => es.filter((e) => e.isLeader()).map((e) => e.identity);

describe("leader election", () => {
  it("of two candidates exactly one leads, and the Lease names it", async () => {
    const { namespace, a, b } = await pair("lease-one");
    a.e.start();
    b.e.start();
    await waitFor("a leader", () => leaders(a.e, b.e).length > 0);
    // Sample for a while (several renew periods): never two leaders, never none once elected.
    for (let i = 0; i < 20; i++) {
      expect(leaders(a.e, b.e)).toHaveLength(1);
      await sleep(100);
    }
    const [leader] = leaders(a.e, b.e);
    const lease = await readLease(namespace, "sealsync");
    expect(lease.spec?.holderIdentity).toBe(leader);
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
    expect(lease.spec?.leaseTransitions).toBe(0);
    expect(a.e.currentLeader()).toBe(leader);
    expect(b.e.currentLeader()).toBe(leader);
    expect([...a.log, ...b.log]).toEqual([`${leader} started`]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it("release() hands over at once: the standby leads long before the 30 s lease could expire", async () => {
    const { namespace, a, b, events } = await pair("lease-release", { leaseDurationMs: 30_000, renewDeadlineMs: 2000, retryPeriodMs: 250 });
    a.e.start();
    await waitFor("pod-a leads", () => a.e.isLeader());
    b.e.start();
    await sleep(600); // b has seen a valid lease held by a
    expect(b.e.isLeader()).toBe(false);
    await a.e.release();
    expect(a.e.isLeader()).toBe(false);
    await waitFor("pod-b leads", () => b.e.isLeader(), 10_000);
    expect(events).toEqual(["pod-a started", "pod-a stopped", "pod-b started"]);
    const lease = await readLease(namespace, "sealsync");
    expect(lease.spec?.holderIdentity).toBe("pod-b");
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it("a leader that vanishes without releasing is replaced once its lease expires", async () => {
    const { namespace, a, b, events } = await pair("lease-kill");
    a.e.start();
    await waitFor("pod-a leads", () => a.e.isLeader());
    b.e.start();
    await sleep(500);
    // As a crash would: no more renewals, no release.
    await a.e.stop({ release: false });
    expect((await readLease(namespace, "sealsync")).spec?.holderIdentity).toBe("pod-a");
    expect(b.e.isLeader()).toBe(false);
    await waitFor("pod-b leads", () => b.e.isLeader());
    expect(events).toEqual(["pod-a started", "pod-a stopped", "pod-b started"]);
    expect((await readLease(namespace, "sealsync")).spec?.holderIdentity).toBe("pod-b");
  });

  it("a leader that can no longer renew steps down before the standby takes over", async () => {
    const { namespace, a, b, events } = await pair("lease-cut");
    a.e.start();
    await waitFor("pod-a leads", () => a.e.isLeader());
    b.e.start();
    await revokeAccess(namespace, "pod-a");
    await waitFor("pod-b leads", () => b.e.isLeader());
    // pod-a noticed it could not renew and stopped acting before pod-b started.
    expect(events).toEqual(["pod-a started", "pod-a stopped", "pod-b started"]);
    expect(a.errors.length).toBeGreaterThan(0);
    expect(a.errors[0]?.message).toMatch(/forbidden|403/i);
    expect(a.e.isLeader()).toBe(false);
  });

  it("stop() and start() again: the same identity re-takes its own lease without waiting", async () => {
    const { a } = await pair("lease-restart", { leaseDurationMs: 30_000, renewDeadlineMs: 2000, retryPeriodMs: 250 });
    a.e.start();
    await waitFor("pod-a leads", () => a.e.isLeader());
    await a.e.stop({ release: false });
    a.e.start();
    await waitFor("pod-a leads again", () => a.e.isLeader(), 10_000);
    expect(a.log).toEqual(["pod-a started", "pod-a stopped", "pod-a started"]);
  });
});

describe("configuration", () => {
  it("identity is the pod name, else hostname_pid", () => {
    expect(defaultIdentity({ POD_NAME: "web-7d9f-abc" })).toBe("web-7d9f-abc");
    expect(defaultIdentity({})).toBe(`${hostname()}_${process.pid}`);
  });

  it("refuses timings where the leader could outlive its lease", () => {
    const base = { client: {} as KubeClient, namespace: "x" };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }))
      .toThrow(new LeaseConfigError("leaseDuration (10000 ms) must be greater than renewDeadline (10000 ms)"));
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 5000, retryPeriodMs: 5000 })).toThrow(/renewDeadline .* 1\.2 × retryPeriod/);
    const d = new LeaderElector(base);
    expect(d.name).toBe("sealsync-leader");
  });
});
