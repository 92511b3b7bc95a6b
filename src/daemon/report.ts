/**
 * Fans the outcome of one pass out to everything that tells users about it: the audit log, Kubernetes
 * Events, metrics, logs and the status annotation. Reporting never fails a pass: an entry, Event or
 * status that cannot be written is logged and the daemon carries on.
 */
import type { AuditLog, FailureReason, SyncTrigger } from "../audit/index.js";
import { countActions } from "../kube/changeset.js";
import type { KubeClient } from "../kube/client.js";
import type { ResourceInfo } from "../kube/discovery.js";
import type { EventRecorder } from "../kube/events.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { STALLED_AFTER, type PassOutcome, type ReconcileLoop } from "../reconcile/loop.js";
import { syncStartedEvent } from "../reconcile/audit-trail.js";
import type { ReconcileResult } from "../reconcile/sync.js";
import { subject, type Revision } from "../source/revision.js";
import { describeRewind, type Rewind } from "../source/rollback.js";
import type { VerificationError } from "../source/verify/verifier.js";
import { driftKey, type DriftBackoff } from "./drift-backoff.js";
import type { DriftSignal, DriftWatcher } from "./drift-watch.js";
import { writeStatus, type DaemonStatus, type FailingDocument } from "./status.js";
import type { HealthReporter } from "./health-report.js";

export type AuditEvent = Parameters<AuditLog["append"]>[0];

/** Appends to the audit log; a failure is logged, never thrown (the pass goes on). */
export async function recordAudit(audit: AuditLog, log: Logger, event: AuditEvent): Promise<void> {
  try {
    await audit.append(event);
  } catch (err) {
    log.error({ err: (err as Error).message, action: event.action }, "audit append failed");
  }
}

export interface ReporterOptions {
  audit: AuditLog;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  drift: DriftWatcher;
  backoff: DriftBackoff;
  loop: ReconcileLoop;
  client: KubeClient;
  namespace: string;
  /** The ApplySet parent (inventory Secret) name, which also carries the status annotation. */
  parentName: string;
  setId: string;
  health: HealthReporter;
  /** --ref, for entries about a revision that was never read. */
  ref?: string;
}

export class PassReporter {
  /** The last status written, rewritten with fresh health as the applied revision rolls out. */
  #status?: DaemonStatus;
  #attempt: Pick<DaemonStatus, "author" | "subject"> = {};
  #failingDocuments: FailingDocument[] = [];

  constructor(private readonly o: ReporterOptions) {}

  /** The revision this pass works on: its author and subject go into the status. */
  attempting(revision: Revision): void {
    this.#attempt = {
      author: revision.author ? `${revision.author.name} <${revision.author.email}>` : undefined,
      subject: revision.message ? subject(revision.message) : undefined,
    };
  }

  /** Documents of the attempted revision that fail to decrypt (none once it decrypts): status and gauge. */
  failingDocuments(docs: FailingDocument[]): void {
    this.#failingDocuments = docs;
    this.o.metrics.failingDocuments(docs.length);
  }

  /** The last status again, with the health as it is now. */
  async rewriteStatus(): Promise<void> {
    if (!this.#status) return;
    this.#status = { ...this.#status, ...this.o.health.statusFields(), time: new Date().toISOString() };
    await writeStatus(this.o.client, this.o.namespace, this.o.parentName, this.#status)
      .catch((e: Error) => this.o.log.debug({ err: e.message }, "status not written"));
  }

  record(event: AuditEvent): Promise<void> {
    return recordAudit(this.o.audit, this.o.log, event);
  }

  async syncStarted(revision: Revision, trigger: SyncTrigger): Promise<void> {
    await this.record(syncStartedEvent(revision, trigger));
  }

  /** --verify refused the revision before any file was read: audit, Warning Event, metric, then the usual failure report. */
  async verificationFailed(err: VerificationError, started: number): Promise<PassOutcome> {
    this.o.metrics.verificationFailed();
    await this.record({ action: "verification-failed", ref: this.o.ref, verifyMode: err.mode, object: err.object, signer: err.fingerprint, message: err.message });
    await this.o.events.sourceWarning("VerificationFailed", undefined, err.message);
    return this.failed("VerificationFailed", err, undefined, started);
  }

  /** The source went back (or was force-pushed): log, audit source-rewound, Warning Event SourceRewound. */
  async rewound(revision: { sha: string; ref?: string }, rewind: Rewind, refused: boolean): Promise<void> {
    const message = `${describeRewind(revision.sha, rewind)}${refused ? " (refused: --refuse-rollback)" : " (applying it: pass --refuse-rollback to refuse)"}`;
    this.o.log.warn({ revision: revision.sha, from: rewind.from, rewind: rewind.kind, refused }, message);
    await this.record({ action: "source-rewound", revision: revision.sha, from: rewind.from, rewind: rewind.kind, refused: refused ? "yes" : "no", ref: revision.ref ?? this.o.ref });
    await this.o.events.sourceWarning("SourceRewound", revision.sha, message);
  }

  /** --no-self-heal: drift is reported (audit, Event, log) and left as it is. */
  async driftNotCorrected(result: ReconcileResult, drift: Map<string, DriftSignal>): Promise<void> {
    const { revision } = result;
    for (const p of result.plan) {
      if (p.action === "unchanged") continue;
      const d = result.desired.find((x) => x.object.kind === p.kind && x.object.metadata.name === p.name);
      const group = d?.resource.group ?? "";
      const signal = drift.get(driftKey({ group, kind: p.kind, name: p.name }));
      await this.record({ action: "drift-detected", group, kind: p.kind, namespace: this.o.namespace, name: p.name, revision: revision.sha, fieldManager: signal?.fieldManager });
      await this.o.events.drift(revision.sha, { kind: p.kind, name: p.name }, false, signal?.fieldManager);
      this.o.log.warn({ kind: p.kind, name: p.name, planned: p.action, fields: p.diff.map((f) => f.path) }, "drift not corrected (--no-self-heal)");
    }
  }

  /** A reconcile that ran (possibly with failed objects). `quiet`: an unchanged revision re-checked, reported only if anything changed. */
  async applied(result: ReconcileResult, drift: Map<string, DriftSignal>, started: number, quiet: boolean): Promise<void> {
    const { revision } = result;
    const ns = this.o.namespace;
    if (!quiet) {
      for (const d of result.desired) {
        if (!d.decryption) continue;
        await this.record({
          action: "decrypted", file: d.ref.file, document: d.ref.index, format: d.decryption.format, keyId: d.decryption.keyId,
          revision: revision.sha, group: d.resource.group, kind: d.object.kind, namespace: ns, name: d.object.metadata.name,
        });
      }
    }
    for (const c of result.changes) {
      if (c.action === "created" || c.action === "configured") this.o.drift.noteApplied(c.uid, c.resourceVersion);
      if (c.action === "pruned") this.o.drift.notePruned(c.uid);
      const key = driftKey(c);
      const signal = drift.get(key);
      const base = { group: c.group, kind: c.kind, namespace: c.namespace, name: c.name };
      if (signal && (c.action === "created" || c.action === "configured")) {
        this.o.metrics.driftCorrected(c.kind);
        await this.record({ action: "drift-corrected", ...base, revision: revision.sha, uid: c.uid, resourceVersion: c.resourceVersion, fieldManager: signal.fieldManager });
        this.o.backoff.corrected(key);
        await this.o.events.drift(revision.sha, c, true, signal.fieldManager);
        this.o.log.info({ kind: c.kind, name: c.name, fieldManager: signal.fieldManager }, "drift corrected");
      } else if (c.action === "created" || c.action === "configured") {
        await this.record({ action: `object-${c.action}`, ...base, revision: revision.sha, uid: c.uid, resourceVersion: c.resourceVersion });
      } else if (c.action === "pruned") {
        await this.record({ action: "object-pruned", ...base, revision: revision.sha, uid: c.uid });
      } else if (c.action === "failed") {
        this.o.log.error({ kind: c.kind, name: c.name, reason: c.reason }, "apply failed");
      }
    }
    const n = countActions(result.changes);
    const seconds = (Date.now() - started) / 1000;
    this.o.metrics.reconciled(result.failed ? "failure" : "success", seconds);
    this.o.metrics.managedObjects(result.desired.length);
    if (!result.failed) this.o.metrics.appliedRevision(revision.sha);
    this.o.metrics.stale(result.failed);
    const changed = n.created + n.configured + n.pruned + n.failed > 0;
    if (changed) {
      await this.o.events.synced(revision.sha, result.changes);
      await this.o.events.pruned(revision.sha, result.changes);
    }
    if (!quiet || changed) {
      await this.record({ action: "sync-finished", revision: revision.sha, created: n.created, configured: n.configured, unchanged: n.unchanged, pruned: n.pruned, durationMs: Math.round(seconds * 1000) });
      this.o.log.info({ revision: revision.sha, ...n, durationMs: Math.round(seconds * 1000) }, "synced");
    }
    for (const r of result.restarts) {
      const applied = result.changes.find((c) => c.kind === r.kind && c.name === r.name);
      if (applied?.action !== "configured") continue;
      this.o.metrics.restartTriggered(r.kind);
      await this.record({ action: "restart-triggered", group: applied.group, kind: r.kind, namespace: ns, name: r.name, revision: revision.sha, changedKeys: r.changedKeys.join(",") || undefined });
      await this.o.events.restart(revision.sha, r, r.changedKeys);
      this.o.log.info({ kind: r.kind, name: r.name, changedKeys: r.changedKeys }, "restart triggered: config changed");
    }
    const resources = [...new Map(result.desired.map((d) => [`${d.resource.group}/${d.resource.kind}`, d.resource] as [string, ResourceInfo])).values()];
    this.o.drift.update(this.o.setId, resources, result.listedAt);
    if (!result.failed) this.o.health.follow(result, this.o.setId);
    await this.#writeStatus(revision.sha, result.desired.length, undefined, revision.verification);
  }

  async failed(reason: FailureReason, err: Error, revision: Revision | undefined, started: number): Promise<PassOutcome> {
    const durationMs = Date.now() - started;
    this.o.metrics.reconciled("failure", durationMs / 1000);
    this.o.metrics.stale(true);
    await this.record({ action: "sync-failed", reason, revision: revision?.sha, message: err.message.slice(0, 4000), durationMs });
    this.o.log.error({ reason, revision: revision?.sha, err: err.message }, "sync failed; the last good revision stays in force");
    await this.o.events.failed(revision?.sha, `${reason}: ${err.message}`);
    await this.#writeStatus(undefined, undefined, `${reason}: ${err.message.split("\n")[0]}`);
    return { ok: false, revision: revision?.sha, error: err };
  }

  async #writeStatus(attempted?: string, objects?: number, error?: string, verification?: Revision["verification"]): Promise<void> {
    const status = this.o.loop.status;
    try {
      await writeStatus(this.o.client, this.o.namespace, this.o.parentName, this.#status = {
        ...status,
        ...this.#attempt,
        ...this.o.health.statusFields(),
        failingDocuments: this.#failingDocuments.length > 0 ? this.#failingDocuments : undefined,
        lastAttemptedRevision: attempted ?? status.lastAttemptedRevision,
        lastAppliedRevision: error ? status.lastAppliedRevision : attempted ?? status.lastAppliedRevision,
        lastError: error,
        // The loop counts this failure only after the pass returns, hence + 1.
        phase: error ? (status.consecutiveFailures + 1 >= STALLED_AFTER ? "Stalled" : "Reconciling") : "Ready",
        managedObjects: objects ?? this.#status?.managedObjects,
        verification: verification ? { mode: verification.mode, signer: verification.signer } : undefined,
        time: new Date().toISOString(),
      });
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, "status not written");
    }
  }
}
