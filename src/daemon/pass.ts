/**
 * One pass of the daemon: fetch → reconcile (src/reconcile/sync.ts) → report. A pass whose revision is
 * the one already applied, woken only by the timer, is skipped unless a hard resync is due: the
 * watches are what notice drift between commits. Every failure is classified into the reason users
 * see (audit, Events, status) and the last good revision stays in force.
 */
import type { SyncTrigger } from "../audit/index.js";
import { ApplySetConflictError } from "../kube/applyset.js";
import type { Logger } from "../log.js";
import { RevisionRejectedError } from "../manifests/errors.js";
import type { Metrics } from "../metrics.js";
import type { SyncContext } from "../reconcile/context.js";
import type { PassOutcome } from "../reconcile/loop.js";
import { ReconcileRefusedError, reconcile } from "../reconcile/sync.js";
import type { Revision } from "../source/revision.js";
import { RollbackRefusedError } from "../source/rollback.js";
import { VerificationError } from "../source/verify/verifier.js";
import type { DriftBackoff } from "./drift-backoff.js";
import type { PassReporter } from "./report.js";

export interface PassOptions {
  ctx: SyncContext;
  metrics: Metrics;
  log: Logger;
  reporter: PassReporter;
  backoff: DriftBackoff;
  /** Re-apply even an unchanged revision every N timer passes. */
  hardResyncEvery: number;
  selfHeal: boolean;
}

export class PassRunner {
  #lastRevision?: string;
  #passesSinceApply = 0;

  constructor(private readonly o: PassOptions) {}

  async run(triggers: Set<SyncTrigger>, signal?: AbortSignal): Promise<PassOutcome> {
    const { ctx, metrics, reporter } = this.o;
    const started = Date.now();
    const trigger = [...triggers][0] ?? "timer";
    let revision: Revision;
    try {
      revision = await ctx.source.fetch(signal);
      metrics.gitFetched((Date.now() - started) / 1000, true);
    } catch (err) {
      metrics.gitFetched((Date.now() - started) / 1000, false);
      if (err instanceof VerificationError) return reporter.verificationFailed(err, started);
      if (err instanceof RollbackRefusedError) {
        await reporter.rewound({ sha: err.target }, err.rewind, true);
        return reporter.failed("RollbackRefused", err, undefined, started);
      }
      return reporter.failed("FetchFailed", err as Error, undefined, started);
    }
    for (const w of revision.warnings) this.o.log.warn({ revision: revision.sha }, w);
    reporter.attempting(revision);
    if (revision.rewound && revision.sha !== this.#lastRevision) await reporter.rewound(revision, revision.rewound, false);

    const sameRevision = revision.sha === this.#lastRevision;
    const timerOnly = [...triggers].every((t) => t === "timer");
    this.#passesSinceApply++;
    if (sameRevision && timerOnly && this.#passesSinceApply < this.o.hardResyncEvery) {
      return { ok: true, revision: revision.sha };
    }
    const drift = this.o.backoff.take();
    // --no-self-heal: a pass woken only by drift reports it and changes nothing.
    const reportOnly = !this.o.selfHeal && sameRevision && !triggers.has("webhook") && !triggers.has("keys");

    const quiet = sameRevision && !reportOnly;
    if (!quiet) await reporter.syncStarted(revision, trigger);
    try {
      const result = await reconcile(revision, { ...ctx.reconcileOptions, dryRun: reportOnly });
      if (!quiet) for (const w of result.warnings) this.o.log.warn({ revision: revision.sha }, w);
      reporter.failingDocuments([]);
      if (reportOnly) await reporter.driftNotCorrected(result, drift);
      else await reporter.applied(result, drift, started, quiet);
      // Remembered for rollback detection only once it is in force.
      if (!reportOnly && !result.failed) ctx.source.applied?.(revision.sha);
      this.#lastRevision = revision.sha;
      this.#passesSinceApply = 0;
      if (result.failed) return { ok: false, revision: revision.sha, error: new Error("some objects failed to apply; nothing was pruned") };
      return { ok: true, revision: revision.sha };
    } catch (err) {
      const e = err as Error;
      if (quiet) await reporter.syncStarted(revision, trigger);
      if (err instanceof RevisionRejectedError) {
        reporter.failingDocuments(err.errors.filter((m) => m.rule === "decrypt")
          .map((m) => ({ file: m.ref.file, document: m.ref.index, object: m.ref.object, reason: m.reason })));
        for (const m of err.errors) {
          if (m.rule === "decrypt" && m.format) metrics.decryptFailed(m.format);
          const [kind, name] = (m.ref.object ?? "").split("/");
          await reporter.record({
            action: "rejected", rule: m.rule, revision: revision.sha, file: m.ref.file, document: m.ref.index,
            kind, name, namespace: ctx.namespace, message: m.reason,
          });
        }
        return reporter.failed(err.errors.every((m) => m.rule === "decrypt") ? "DecryptFailed" : "ValidationFailed", e, revision, started);
      }
      if (err instanceof ReconcileRefusedError) {
        for (const reason of err.reasons) await reporter.record({ action: "rejected", rule: "refused", revision: revision.sha, message: reason });
        return reporter.failed("ReconcileRefused", e, revision, started);
      }
      if (err instanceof ApplySetConflictError) return reporter.failed("InventoryConflict", e, revision, started);
      return reporter.failed("ApplyFailed", e, revision, started);
    }
  }
}
