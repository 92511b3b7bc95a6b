/**
 * The daemon's side of health: after an apply, waits (by watches) for the revision to become Ready or
 * Degraded, and reports every change to the status annotation, the metrics, and — once final — an
 * Event and the audit log. A newer revision cancels the wait for the older one.
 */
import type { KubeClient } from "../kube/client.js";
import type { EventRecorder } from "../kube/events.js";
import type { Metrics } from "../metrics.js";
import type { AuditLog } from "../audit/index.js";
import { DEFAULT_HEALTH_TIMEOUT_MS, waitForHealth } from "../reconcile/health-wait.js";
import { countByKind, formatFailing, type RevisionHealthReport } from "../reconcile/revision-health.js";
import type { ReconcileResult } from "../reconcile/sync.js";
import { MAX_OBJECTS, type StatusHealth } from "./status.js";

export interface HealthReporterOptions {
  client: KubeClient;
  namespace: string;
  timeoutMs?: number;
  metrics: Metrics;
  events: EventRecorder;
  record(entry: Parameters<AuditLog["append"]>[0]): Promise<void>;
  /** The report changed: rewrite the status. */
  onChange(): void;
  onError(err: Error): void;
  stallTimeoutMs?: number;
}

export class HealthReporter {
  #abort?: AbortController;
  #report?: RevisionHealthReport;
  #lastHealthy?: string;

  constructor(private readonly opts: HealthReporterOptions) {}

  /** Starts waiting for `result`'s revision, unless it is the one already watched and nothing changed. */
  follow(result: ReconcileResult, setId: string): void {
    const changed = result.changes.some((c) => c.action === "created" || c.action === "configured" || c.action === "pruned");
    if (this.#report?.revision === result.revision.sha && !changed) return;
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    const started = Date.now();
    void waitForHealth({
      client: this.opts.client, namespace: this.opts.namespace, setId, revision: result.revision.sha,
      objects: result.desired.map((d) => ({ resource: d.resource, name: d.object.metadata.name })),
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS, signal: abort.signal, stallTimeoutMs: this.opts.stallTimeoutMs,
      onError: this.opts.onError,
      onUpdate: (report) => {
        if (abort.signal.aborted) return;
        this.#report = report;
        if (report.phase === "Ready") this.#lastHealthy = report.revision; // in the same status write as the phase
        this.opts.metrics.revisionHealth(report.phase, countByKind(report));
        this.opts.onChange();
      },
    }).then(async (report) => {
      if (abort.signal.aborted || report.phase === "Progressing") return;
      const failing = formatFailing(report);
      await this.opts.record({
        action: "revision-health", revision: report.revision, phase: report.phase, reason: report.reason,
        failing: report.failing.map((o) => `${o.kind}/${o.name}: ${o.reason}`).join(", ") || undefined,
        durationMs: Date.now() - started,
      });
      const summary = report.phase === "Ready"
        ? `${report.objects.length} objects Current`
        : report.reason === "HealthTimeout" ? `${report.failing.length} objects not Current within the health timeout` : `${report.failing.length} objects Failed`;
      await this.opts.events.health(report.revision, report.phase === "Ready", summary, failing);
    }, (err: Error) => this.opts.onError(err));
  }

  /** For the status annotation. */
  statusFields(): { health?: StatusHealth; lastHealthyRevision?: string } {
    const r = this.#report;
    if (!r) return { lastHealthyRevision: this.#lastHealthy };
    return {
      health: {
        revision: r.revision, phase: r.phase, reason: r.reason, since: r.since, finishedAt: r.finishedAt,
        objects: r.objects.slice(0, MAX_OBJECTS).map((o) => ({ kind: o.kind, name: o.name, status: o.status, reason: o.reason, message: o.message })),
      },
      lastHealthyRevision: this.#lastHealthy,
    };
  }

  stop(): void {
    this.#abort?.abort();
  }
}
