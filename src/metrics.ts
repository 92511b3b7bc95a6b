/**
 * Prometheus metrics, on a Registry of their own (never prom-client's global one, so tests and embedders
 * can hold several). Every series is `sealsync_*`, plus prom-client's default process_* and nodejs_*.
 *
 *   const m = createMetrics();
 *   m.reconciled("success", 1.2);  m.appliedRevision(sha);  m.managedObjects(42);
 *   m.driftCorrected("Deployment");  m.decryptFailed("sops");  m.gitFetched(0.3, true);  m.leader(true);
 *   await m.text()  → exposition text, served with m.contentType
 *
 * Labels are closed vocabularies or bounded by construction: a result, a decrypt format, a Kind name
 * (checked to look like one), a 7-character commit SHA with one series at a time. No label ever holds an
 * object name, a path, an error message or a value. Recording never throws: a daemon must not fail
 * over a metric.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { VERSION } from "./version.js";

export const METRIC_PREFIX = "sealsync_";
export type ReconcileResult = "success" | "failure";
export type DecryptFormat = "sops" | "sealed";
/** Characters of a commit SHA kept in the revision label. */
export const SHORT_SHA_LENGTH = 7;

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of text(). */
  readonly contentType: string;
  text(): Promise<string>;
  /** One reconcile pass ended. */
  reconciled(result: ReconcileResult, seconds: number): void;
  /** The revision now in force (a commit SHA); replaces the previous series. */
  appliedRevision(sha: string): void;
  /** Objects in the inventory after the last apply. */
  managedObjects(count: number): void;
  driftCorrected(kind: string): void;
  decryptFailed(format: DecryptFormat): void;
  /** One Git fetch ended (ok = false counts an error too). */
  gitFetched(seconds: number, ok: boolean): void;
  /** A revision refused because its signatures did not verify (--verify). */
  verificationFailed(): void;
  leader(isLeader: boolean): void;
  /** Whether the last pass failed, so what is in force may not be Git's newest (readiness never says so). */
  stale(isStale: boolean): void;
}

export interface MetricsOptions {
  /** prom-client's process/nodejs metrics (default true). */
  defaultMetrics?: boolean;
}

const RECONCILE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FETCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A Kubernetes Kind is an identifier of at most 63 characters; anything else is reported as "Other". */
export function kindLabel(kind: string): string {
  return /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(kind) ? kind : "Other";
}

/** The first 7 hex digits of a SHA (a "sha1:"/"sha256:" prefix or "ref@" is dropped), else "unknown". */
export function revisionLabel(sha: string): string {
  const hex = sha.slice(sha.lastIndexOf("@") + 1).replace(/^sha(1|256):/, "");
  return /^[0-9a-f]{7,64}$/i.test(hex) ? hex.slice(0, SHORT_SHA_LENGTH).toLowerCase() : "unknown";
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const p = METRIC_PREFIX;
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  new Gauge({ name: `${p}build_info`, help: "sealsync version (always 1).", labelNames: ["version"], registers: [registry] })
    .set({ version: VERSION }, 1);
  const reconcileDuration = new Histogram({
    name: `${p}reconcile_duration_seconds`, help: "Duration of reconcile passes (fetch to prune).",
    buckets: RECONCILE_BUCKETS, registers: [registry],
  });
  const reconciles = new Counter({
    name: `${p}reconciles_total`, help: "Reconcile passes, by result.", labelNames: ["result"], registers: [registry],
  });
  const revision = new Gauge({
    name: `${p}last_applied_revision_info`, help: "The commit in force (short SHA); always 1, one series.",
    labelNames: ["revision"], registers: [registry],
  });
  const managed = new Gauge({
    name: `${p}managed_objects`, help: "Objects in the ApplySet inventory after the last apply.", registers: [registry],
  });
  const drift = new Counter({
    name: `${p}drift_corrections_total`, help: "Managed objects re-applied after a change in the cluster, by kind.",
    labelNames: ["kind"], registers: [registry],
  });
  const decrypt = new Counter({
    name: `${p}decrypt_failures_total`, help: "Documents that failed to decrypt, by format.",
    labelNames: ["format"], registers: [registry],
  });
  const fetchDuration = new Histogram({
    name: `${p}git_fetch_duration_seconds`, help: "Duration of Git fetches, failed ones included.",
    buckets: FETCH_BUCKETS, registers: [registry],
  });
  const fetchErrors = new Counter({ name: `${p}git_fetch_errors_total`, help: "Failed Git fetches.", registers: [registry] });
  const verifyFailures = new Counter({
    name: `${p}source_verification_failures_total`, help: "Revisions refused because a commit or tag signature did not verify.", registers: [registry],
  });
  const leader = new Gauge({ name: `${p}leader`, help: "1 while this replica holds the leader lease.", registers: [registry] });
  const stale = new Gauge({
    name: `${p}stale`, help: "1 while the last pass failed: the last good revision stays in force, Git's newest is not applied.", registers: [registry],
  });

  // Zero-valued series exist from the start, so rate() and absent() behave before the first event.
  for (const result of ["success", "failure"] satisfies ReconcileResult[]) reconciles.inc({ result }, 0);
  for (const format of ["sops", "sealed"] satisfies DecryptFormat[]) decrypt.inc({ format }, 0);
  fetchErrors.inc(0);
  verifyFailures.inc(0);
  leader.set(0);
  stale.set(0);

  const seconds = (s: number) => (Number.isFinite(s) && s >= 0 ? s : 0);
  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    reconciled(result, s) {
      reconciles.inc({ result: result === "success" ? "success" : "failure" });
      reconcileDuration.observe(seconds(s));
    },
    appliedRevision(sha) {
      revision.reset();
      revision.set({ revision: revisionLabel(sha) }, 1);
    },
    managedObjects(count) {
      managed.set(Number.isFinite(count) ? count : 0);
    },
    driftCorrected(kind) {
      drift.inc({ kind: kindLabel(kind) });
    },
    decryptFailed(format) {
      decrypt.inc({ format: format === "sealed" ? "sealed" : "sops" });
    },
    gitFetched(s, ok) {
      fetchDuration.observe(seconds(s));
      if (!ok) fetchErrors.inc();
    },
    verificationFailed() {
      verifyFailures.inc();
    },
    leader(isLeader) {
      leader.set(isLeader ? 1 : 0);
    },
    stale(isStale) {
      stale.set(isStale ? 1 : 0);
    },
  };
}
