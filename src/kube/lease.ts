/**
 * Leader election on a `coordination.k8s.io/v1` Lease in our namespace, so that of N replicas (each with
 * its sidecar) exactly one acts. The algorithm is client-go's (which Flux uses), with its defaults:
 *
 *   - a candidate GETs the Lease every retryPeriod; it takes it when it does not exist, when its holder
 *     is empty (released), or when the record has not changed for leaseDuration *as measured on our own
 *     clock since we first saw it* (no trust in other nodes' clocks);
 *   - every write carries the resourceVersion it read, so two candidates cannot both win (409 → retry);
 *   - the leader renews every retryPeriod; if it has not renewed for renewDeadline (< leaseDuration) it
 *     stops leading, before anyone else may take over;
 *   - release() on shutdown empties holderIdentity (leaseDurationSeconds 1), so a standby takes over at
 *     its next retry instead of waiting out the lease.
 *
 *   const e = new LeaderElector({ client, namespace, name: "sealsync" });
 *   e.on("started-leading", start); e.on("stopped-leading", stopActing); e.start();
 *   e.isLeader();  await e.release();   // SIGTERM: stop acting first, then release
 *
 * After losing the lease the elector campaigns again (the daemon stops acting, it does not exit).
 * Two electors with the same identity both believe they lead: identities must be unique (pod names are).
 */
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { withJitter } from "../util/backoff.js";
import { sleep } from "../util/sleep.js";
import { KubeApiError, type KubeClient, type KubeObject } from "./client.js";

export const DEFAULT_LEASE_NAME = "sealsync-leader";
export const DEFAULT_LEASE_DURATION_MS = 35_000;
export const DEFAULT_RENEW_DEADLINE_MS = 30_000;
export const DEFAULT_RETRY_PERIOD_MS = 5_000;
/** Candidates wait retryPeriod × [1, 1.2) between attempts, so they do not all ask at once. */
const JITTER = 0.2;

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** The Lease's name; one per set of replicas that must exclude each other (default "sealsync-leader"). */
  name?: string;
  /** Who we are: default $POD_NAME, else "<hostname>_<pid>". */
  identity?: string;
  /** How long a silent holder keeps the lease (default 35 s; stored in whole seconds, rounded up). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 30 s; < leaseDuration). */
  renewDeadlineMs?: number;
  /** Time between attempts (default 5 s). */
  retryPeriodMs?: number;
  /** An attempt failed for another reason than losing a race (API unreachable, RBAC…); election goes on. */
  onError?: (err: Error) => void;
}

export type LeaderElectorEvents = {
  "started-leading": [];
  "stopped-leading": [];
  /** The holder we observe changed (our own identity included); "" when released. */
  "new-leader": [identity: string];
};

export class LeaseConfigError extends Error {
  constructor(message: string) {
    super(`invalid leader election timing: ${message}`);
    this.name = "LeaseConfigError";
  }
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME || `${hostname()}_${process.pid}`;
}

/** MicroTime as the API server writes it: RFC 3339 with exactly six fractional digits. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector extends EventEmitter<LeaderElectorEvents> {
  readonly identity: string;
  readonly name: string;
  readonly #client: KubeClient;
  readonly #path: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  readonly #onError: (err: Error) => void;
  #leading = false;
  #running = false;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #deadline: NodeJS.Timeout | undefined;
  /** Renews in flight are aborted when the deadline passes, so a late success cannot extend leadership. */
  #attempt: AbortController | undefined;
  /** The last record we saw (serialised) and when, on our clock. */
  #observed: { record: string; at: number; holder: string; durationMs: number } | undefined;

  constructor(opts: LeaderElectorOptions) {
    super();
    this.#client = opts.client;
    this.name = opts.name ?? DEFAULT_LEASE_NAME;
    this.identity = opts.identity ?? defaultIdentity();
    this.#leaseMs = Math.ceil((opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS) / 1000) * 1000;
    this.#renewMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.#retryMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    this.#onError = opts.onError ?? (() => undefined);
    if (!(this.#leaseMs > this.#renewMs)) throw new LeaseConfigError(`leaseDuration (${this.#leaseMs} ms) must be greater than renewDeadline (${this.#renewMs} ms)`);
    if (!(this.#renewMs > this.#retryMs * (1 + JITTER))) {
      throw new LeaseConfigError(`renewDeadline (${this.#renewMs} ms) must be greater than 1.2 × retryPeriod (${this.#retryMs} ms)`);
    }
    if (!this.identity) throw new LeaseConfigError("the identity is empty");
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases`;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder we last observed ("" when released, undefined before the first read). */
  currentLeader(): string | undefined {
    return this.#observed?.holder;
  }

  /** Starts campaigning in the background (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stop = new AbortController();
    this.#loop = this.#run();
  }

  /**
   * Stops campaigning. By default also releases the lease when we hold it (what SIGTERM should do, once the
   * daemon has stopped acting); `{ release: false }` abandons it instead, as a crashed process would.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stop.abort();
    this.#attempt?.abort();
    await this.#loop;
    const wasLeading = this.#leading;
    this.#stepDown();
    if ((opts.release ?? true) && wasLeading) await this.#release();
  }

  /** stop() and hand the lease over at once. */
  release(): Promise<void> {
    return this.stop({ release: true });
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      const attempt = new AbortController();
      this.#attempt = attempt;
      let held = false;
      try {
        held = await this.#tryAcquireOrRenew(AbortSignal.any([attempt.signal, AbortSignal.timeout(this.#renewMs)]));
      } catch (err) {
        if (!stop.aborted && !attempt.signal.aborted) this.#onError(err as Error);
      }
      if (stop.aborted) return;
      if (held && !attempt.signal.aborted) this.#renewed();
      else if (this.#leading && this.#observed && this.#observed.holder !== this.identity) this.#stepDown(); // someone else holds it
      const wait = this.#leading ? this.#retryMs : withJitter(this.#retryMs, JITTER);
      await sleep(wait, stop);
    }
  }

  /** One GET and, when allowed, one write. True when we hold the lease afterwards. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    const seconds = this.#leaseMs / 1000;
    const got = await this.#client.request<Lease>("GET", `${this.#path}/${encodeURIComponent(this.name)}`, { allow: [404], signal });
    if (got.status === 404) {
      const spec: LeaseSpec = { holderIdentity: this.identity, leaseDurationSeconds: seconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      const created = await this.#write("POST", this.#path, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.name }, spec }, signal);
      return created !== undefined;
    }
    const lease = got.body;
    const old = lease.spec ?? {};
    this.#observe(old, now.getTime());
    const holder = old.holderIdentity ?? "";
    const observed = this.#observed!;
    if (holder && holder !== this.identity && observed.at + observed.durationMs > now.getTime()) return false;

    const ours = holder === this.identity;
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: seconds,
      acquireTime: ours && old.acquireTime ? old.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (old.leaseTransitions ?? 0) + (ours ? 0 : 1),
    };
    const body = { ...lease, spec };
    const written = await this.#write("PUT", `${this.#path}/${encodeURIComponent(this.name)}`, body, signal);
    return written !== undefined;
  }

  /** A write guarded by resourceVersion; undefined when another candidate won the race (409). */
  async #write(method: "POST" | "PUT", path: string, body: Lease, signal?: AbortSignal): Promise<Lease | undefined> {
    const res = await this.#client.request<Lease>(method, path, { body, allow: [409], signal });
    if (res.status === 409) return undefined;
    this.#observe(res.body.spec ?? {}, Date.now());
    return res.body;
  }

  #observe(spec: LeaseSpec, at: number): void {
    const record = JSON.stringify([spec.holderIdentity ?? "", spec.renewTime, spec.acquireTime, spec.leaseTransitions, spec.leaseDurationSeconds]);
    if (this.#observed?.record === record) return;
    const holder = spec.holderIdentity ?? "";
    const changed = this.#observed?.holder !== holder;
    this.#observed = { record, at, holder, durationMs: (spec.leaseDurationSeconds ?? this.#leaseMs / 1000) * 1000 };
    if (changed) this.#emitSafely("new-leader", holder);
  }

  #renewed(): void {
    clearTimeout(this.#deadline);
    // Step down when renewDeadline passes without another successful renew (API server gone, partition…).
    this.#deadline = setTimeout(() => {
      this.#attempt?.abort();
      this.#stepDown();
    }, this.#renewMs);
    this.#deadline.unref();
    if (!this.#leading) {
      this.#leading = true;
      this.#emitSafely("started-leading");
    }
  }

  #stepDown(): void {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (!this.#leading) return;
    this.#leading = false;
    this.#emitSafely("stopped-leading");
  }

  async #release(): Promise<void> {
    try {
      const got = await this.#client.request<Lease>("GET", `${this.#path}/${encodeURIComponent(this.name)}`, { allow: [404], signal: AbortSignal.timeout(this.#renewMs) });
      if (got.status === 404 || got.body.spec?.holderIdentity !== this.identity) return;
      const now = microTime(new Date());
      const spec: LeaseSpec = { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: got.body.spec.leaseTransitions ?? 0 };
      await this.#write("PUT", `${this.#path}/${encodeURIComponent(this.name)}`, { ...got.body, spec }, AbortSignal.timeout(this.#renewMs));
    } catch (err) {
      // Not fatal: the lease then expires after leaseDuration.
      this.#onError(err instanceof KubeApiError ? new Error(`releasing Lease ${this.name}: ${err.message}`) : (err as Error));
    }
  }

  #emitSafely<K extends keyof LeaderElectorEvents>(event: K, ...args: LeaderElectorEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: LeaderElectorEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#onError(err as Error);
    }
  }
}
