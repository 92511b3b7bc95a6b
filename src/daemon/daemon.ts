/**
 * `sealsync run`: the sidecar. It keeps the newest good revision true in its namespace — polling Git
 * and listening for webhooks, correcting drift seen by its watches, acting only while it holds the
 * Lease — and reports every action to the audit log, metrics, Events, logs and a status annotation.
 *
 * One pass (see pass()): fetch → reconcile (src/reconcile/sync.ts) → report. A pass whose revision is
 * the one already applied, woken only by the timer, is skipped unless a hard resync is due: the
 * watches are what notice drift between commits.
 */
import { ApplySetConflictError, DEFAULT_PARENT_NAME, applySetId } from "../kube/applyset.js";
import { AuditLog, defaultAuditLogPath, readHmacKeyFile, type SyncTrigger } from "../audit/index.js";
import { buildSyncContext, type SyncContext, type SyncFlags } from "../config/sync-options.js";
import type { ResourceInfo } from "../kube/discovery.js";
import { EventRecorder } from "../kube/events.js";
import { LeaderElector } from "../kube/lease.js";
import { createLogger, type Logger } from "../log.js";
import { createMetrics, type Metrics } from "../metrics.js";
import { RevisionRejectedError } from "../manifests/errors.js";
import { ReconcileLoop, STALLED_AFTER, type PassOutcome } from "../reconcile/loop.js";
import { ReconcileRefusedError, reconcile, type ReconcileResult } from "../reconcile/sync.js";
import { countActions } from "../reconcile/changeset.js";
import { startServer, type RunningServer } from "../server/index.js";
import { subject, type Revision } from "../source/revision.js";
import { VERSION } from "../version.js";
import { DriftWatcher, type DriftSignal } from "./drift-watch.js";
import { writeStatus, type DaemonStatus, type FailingDocument } from "./status.js";
import { HealthReporter } from "./health-report.js";

export interface RunFlags extends SyncFlags {
  interval: number;
  webhookSecretFile?: string;
  selfHeal: boolean;
  listen: string;
  leaderElection: boolean;
  leaseName: string;
  auditLog?: string;
  auditHmacKeyFile?: string;
  auditStdout?: boolean;
  logLevel: string;
  /** Test and demo knobs (milliseconds). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  watchStallTimeoutMs?: number;
  /** Re-apply even an unchanged revision every N intervals (default 10). */
  hardResyncEvery: number;
}

const DRIFT_DEBOUNCE_MS = 1000;
const DRIFT_MAX_BACKOFF_MS = 300_000;
const DRIFT_MEMORY_MS = 600_000;

const identity = () => process.env.POD_NAME ?? `${process.env.HOSTNAME ?? "sealsync"}_${process.pid}`;

export class Daemon {
  readonly loop: ReconcileLoop;
  readonly metrics: Metrics = createMetrics();
  readonly log: Logger;
  server?: RunningServer;
  #ctx!: SyncContext;
  #audit!: AuditLog;
  #elector?: LeaderElector;
  #drift!: DriftWatcher;
  #events!: EventRecorder;
  #health!: HealthReporter;
  /** The last status written, rewritten with fresh health as the applied revision rolls out. */
  #status?: DaemonStatus;
  #attempt: Pick<DaemonStatus, "author" | "subject"> = {};
  #failingDocuments: FailingDocument[] = [];
  #pendingDrift = new Map<string, DriftSignal>();
  /** When each object was last drift-corrected, for backing off a fight with another controller. */
  #corrections = new Map<string, number[]>();
  #driftTimer?: NodeJS.Timeout;
  #lastRevision?: string;
  #passesSinceApply = 0;
  #acting = false;
  #stopping?: Promise<void>;

  private constructor(private readonly flags: RunFlags) {
    this.log = createLogger({ level: flags.logLevel, base: { component: "sealsync" } });
    this.loop = new ReconcileLoop({ intervalMs: flags.interval, pass: (t) => this.#pass(t) });
  }

  static async start(flags: RunFlags): Promise<Daemon> {
    const d = new Daemon(flags);
    await d.#init();
    return d;
  }

  async #init(): Promise<void> {
    const f = this.flags;
    this.#ctx = await buildSyncContext(f, { watchKeys: true });
    const { namespace, client } = this.#ctx;
    this.#audit = await AuditLog.open({
      file: f.auditLog ?? defaultAuditLogPath(f.dataDir),
      hmacKey: f.auditHmacKeyFile ? await readHmacKeyFile(f.auditHmacKeyFile) : undefined,
      stdout: f.auditStdout,
      onStripped: (action, fields) => this.log.warn({ action, fields }, "audit: dropped fields outside the schema"),
    });
    await this.#record({ action: "daemon-start", version: VERSION, namespace, identity: identity(), pid: process.pid });
    this.#events = new EventRecorder({
      client, parent: { name: f.applysetName ?? DEFAULT_PARENT_NAME, namespace }, instance: identity(),
      onError: (err) => this.log.debug({ err: err.message }, "event not recorded"),
    });
    this.#health = new HealthReporter({
      client, namespace, timeoutMs: f.healthTimeout, metrics: this.metrics, events: this.#events, stallTimeoutMs: f.watchStallTimeoutMs,
      record: (entry) => this.#record(entry),
      onChange: () => void this.#rewriteStatus(),
      onError: (err) => this.log.warn({ err: err.message }, "health watch restarted"),
    });
    this.#drift = new DriftWatcher({
      client, namespace, stallTimeoutMs: f.watchStallTimeoutMs,
      onDrift: (s) => this.#onDrift(s),
      onError: (err) => this.log.warn({ err: err.message }, "watch restarted"),
    });

    const keyring = this.#ctx.keyring;
    keyring?.on("reload", (change) => {
      this.log.info({ added: change.added.map((k) => k.id), removed: change.removed.map((k) => k.id) }, "keys reloaded");
      void this.#record({ action: "key-reload", keys: change.keys.length, keyIds: change.keys.map((k) => k.id).join(",") });
      this.loop.trigger("keys");
    });
    keyring?.on("reloadError", (err) => this.log.error({ err: err.message }, "key reload failed; previous keys stay in force"));

    this.server = await startServer({
      listen: f.listen,
      isReady: () => this.#readiness(),
      metrics: this.metrics,
      auditFile: this.#audit.file,
      webhook: f.webhookSecretFile ? {
        secretFile: f.webhookSecretFile,
        branch: f.ref,
        onPush: (ref) => {
          this.log.info({ ref }, "webhook: push received");
          this.loop.trigger("webhook");
        },
      } : undefined,
      publicKeys: () => ({
        recipients: (keyring?.ageIdentities() ?? []).map((i) => i.recipient),
        certificatePem: keyring?.sealingKey()?.certPem,
      }),
      onError: (err, p) => this.log.error({ err: (err as Error).message, path: p }, "HTTP handler failed"),
    });
    this.log.info({ listen: this.server.url, namespace, source: this.#ctx.source.description }, "sealsync started");

    if (f.leaderElection) {
      this.#elector = new LeaderElector({
        client, namespace, name: f.leaseName, identity: identity(),
        leaseDurationMs: f.leaseDurationMs, renewDeadlineMs: f.renewDeadlineMs, retryPeriodMs: f.retryPeriodMs,
        onError: (err) => this.log.warn({ err: err.message }, "leader election"),
      });
      this.#elector.on("started-leading", () => this.#startActing());
      this.#elector.on("stopped-leading", () => void this.#stopActing());
      this.#elector.start();
    } else {
      this.#startActing();
    }
  }

  #startActing(): void {
    this.#acting = true;
    this.metrics.leader(true);
    if (this.#elector) void this.#record({ action: "leader-acquired", identity: identity(), lease: this.flags.leaseName });
    this.log.info({ holder: identity() }, "acting: reconciling");
    this.loop.start(this.#elector ? "leader" : "startup");
  }

  async #stopActing(): Promise<void> {
    if (!this.#acting) return;
    this.#acting = false;
    this.metrics.leader(false);
    this.#drift.close();
    this.#health.stop();
    await this.loop.stop();
    await this.#record({ action: "leader-lost", identity: identity(), lease: this.flags.leaseName });
    this.log.warn({ holder: identity() }, "lost the lease: standing by");
  }

  #readiness(): { ready: true } | { ready: false; reason: string } {
    if (this.#elector && !this.#acting) return { ready: true }; // a standby is healthy; it must not hold its pod back
    if (!this.loop.status.lastAppliedRevision) {
      return { ready: false, reason: this.loop.status.lastError ? `no revision applied yet: ${this.loop.status.lastError}` : "first sync in progress" };
    }
    return { ready: true };
  }

  #onDrift(s: DriftSignal): void {
    const key = `${s.group}/${s.kind}/${s.name}`;
    this.#pendingDrift.set(key, s);
    this.log.info({ kind: s.kind, name: s.name, change: s.type, fieldManager: s.fieldManager }, "drift detected");
    // Debounce: one pass for a burst of edits (e.g. kubectl apply of many objects). An object that keeps
    // being changed back (another controller owning a field Git also sets) waits twice as long each
    // time, up to 5 minutes, instead of a tug of war at full speed.
    const recent = (this.#corrections.get(key) ?? []).filter((t) => Date.now() - t < DRIFT_MEMORY_MS);
    const delay = Math.min(DRIFT_DEBOUNCE_MS * 2 ** Math.max(0, recent.length - 1), DRIFT_MAX_BACKOFF_MS);
    if (delay > DRIFT_DEBOUNCE_MS) {
      this.log.warn({ kind: s.kind, name: s.name, fieldManager: s.fieldManager, corrections: recent.length, delayMs: delay },
        "drift keeps coming back; backing off (does another controller own a field that Git also sets?)");
    }
    clearTimeout(this.#driftTimer);
    this.#driftTimer = setTimeout(() => this.loop.trigger("drift"), delay);
  }

  async #pass(triggers: Set<SyncTrigger>): Promise<PassOutcome> {
    const started = Date.now();
    const trigger = [...triggers][0] ?? "timer";
    let revision: Revision;
    try {
      revision = await this.#ctx.source.fetch();
      this.metrics.gitFetched((Date.now() - started) / 1000, true);
    } catch (err) {
      this.metrics.gitFetched((Date.now() - started) / 1000, false);
      return this.#failed("FetchFailed", err as Error, undefined, started);
    }
    for (const w of revision.warnings) this.log.warn({ revision: revision.sha }, w);
    this.#attempt = {
      author: revision.author ? `${revision.author.name} <${revision.author.email}>` : undefined,
      subject: revision.message ? subject(revision.message) : undefined,
    };

    const sameRevision = revision.sha === this.#lastRevision;
    const timerOnly = [...triggers].every((t) => t === "timer");
    this.#passesSinceApply++;
    if (sameRevision && timerOnly && this.#passesSinceApply < this.flags.hardResyncEvery) {
      return { ok: true, revision: revision.sha };
    }
    const drift = new Map(this.#pendingDrift);
    this.#pendingDrift.clear();
    // --no-self-heal: a pass woken only by drift reports it and changes nothing.
    const reportOnly = !this.flags.selfHeal && sameRevision && !triggers.has("webhook") && !triggers.has("keys");

    const quiet = sameRevision && !reportOnly;
    if (!quiet) await this.#recordSyncStarted(revision, trigger);
    try {
      const result = await reconcile(revision, { ...this.#ctx.reconcileOptions, dryRun: reportOnly });
      this.#setFailingDocuments([]);
      await this.#report(result, drift, reportOnly, started, quiet);
      this.#lastRevision = revision.sha;
      this.#passesSinceApply = 0;
      if (result.failed) return { ok: false, revision: revision.sha, error: new Error("some objects failed to apply; nothing was pruned") };
      return { ok: true, revision: revision.sha };
    } catch (err) {
      const e = err as Error;
      if (quiet) await this.#recordSyncStarted(revision, trigger);
      if (err instanceof RevisionRejectedError) {
        this.#setFailingDocuments(err.errors.filter((m) => m.rule === "decrypt")
          .map((m) => ({ file: m.ref.file, document: m.ref.index, object: m.ref.object, reason: m.reason })));
        for (const m of err.errors) {
          if (m.rule === "decrypt") this.metrics.decryptFailed(/SealedSecret/.test(m.message) ? "sealed" : "sops");
          const [kind, name] = (m.ref.object ?? "").split("/");
          await this.#record({
            action: "rejected", rule: m.rule, revision: revision.sha, file: m.ref.file, document: m.ref.index,
            kind, name, namespace: this.#ctx.namespace, message: m.reason,
          });
        }
        return this.#failed("ValidationFailed", e, revision, started);
      }
      if (err instanceof ReconcileRefusedError) {
        for (const reason of err.reasons) await this.#record({ action: "rejected", rule: "refused", revision: revision.sha, message: reason });
        return this.#failed("ReconcileRefused", e, revision, started);
      }
      if (err instanceof ApplySetConflictError) return this.#failed("InventoryConflict", e, revision, started);
      return this.#failed("ApplyFailed", e, revision, started);
    }
  }

  async #recordSyncStarted(revision: Revision, trigger: SyncTrigger): Promise<void> {
    await this.#record({
      action: "sync-started", revision: revision.sha, ref: revision.ref, trigger,
      author: revision.author ? `${revision.author.name} <${revision.author.email}>` : undefined,
      committer: revision.committer ? `${revision.committer.name} <${revision.committer.email}>` : undefined,
      commitTime: revision.committer ? new Date(revision.committer.timestamp * 1000).toISOString() : undefined,
      subject: revision.message ? subject(revision.message) : undefined,
      signature: "not-checked",
    });
  }

  async #report(result: ReconcileResult, drift: Map<string, DriftSignal>, reportOnly: boolean, started: number, quiet: boolean): Promise<void> {
    const { revision } = result;
    const ns = this.#ctx.namespace;
    if (reportOnly) {
      for (const p of result.plan) {
        if (p.action === "unchanged") continue;
        const d = result.desired.find((x) => x.object.kind === p.kind && x.object.metadata.name === p.name);
        const signal = drift.get(`${d?.resource.group ?? ""}/${p.kind}/${p.name}`);
        await this.#record({ action: "drift-detected", group: d?.resource.group ?? "", kind: p.kind, namespace: ns, name: p.name, revision: revision.sha, fieldManager: signal?.fieldManager });
        await this.#events.drift(revision.sha, { kind: p.kind, name: p.name }, false, signal?.fieldManager);
        this.log.warn({ kind: p.kind, name: p.name, planned: p.action, fields: p.diff.map((f) => f.path) }, "drift not corrected (--no-self-heal)");
      }
      return;
    }
    if (!quiet) {
      for (const d of result.desired) {
        if (!d.decryption) continue;
        await this.#record({
          action: "decrypted", file: d.ref.file, document: d.ref.index, format: d.decryption.format, keyId: d.decryption.keyId,
          revision: revision.sha, group: d.resource.group, kind: d.object.kind, namespace: ns, name: d.object.metadata.name,
        });
      }
    }
    for (const c of result.changes) {
      if (c.action === "created" || c.action === "configured") this.#drift.noteApplied(c.uid, c.resourceVersion);
      if (c.action === "pruned") this.#drift.notePruned(c.uid);
      const key = `${c.group}/${c.kind}/${c.name}`;
      const signal = drift.get(key);
      const base = { group: c.group, kind: c.kind, namespace: c.namespace, name: c.name };
      if (signal && (c.action === "created" || c.action === "configured")) {
        this.metrics.driftCorrected(c.kind);
        await this.#record({ action: "drift-corrected", ...base, revision: revision.sha, uid: c.uid, resourceVersion: c.resourceVersion, fieldManager: signal.fieldManager });
        this.#corrections.set(key, [...(this.#corrections.get(key) ?? []).filter((t) => Date.now() - t < DRIFT_MEMORY_MS), Date.now()]);
        await this.#events.drift(revision.sha, c, true, signal.fieldManager);
        this.log.info({ kind: c.kind, name: c.name, fieldManager: signal.fieldManager }, "drift corrected");
      } else if (c.action === "created" || c.action === "configured") {
        await this.#record({ action: `object-${c.action}`, ...base, revision: revision.sha, uid: c.uid, resourceVersion: c.resourceVersion });
      } else if (c.action === "pruned") {
        await this.#record({ action: "object-pruned", ...base, revision: revision.sha, uid: c.uid });
      } else if (c.action === "failed") {
        this.log.error({ kind: c.kind, name: c.name, reason: c.reason }, "apply failed");
      }
    }
    const n = countActions(result.changes);
    const seconds = (Date.now() - started) / 1000;
    this.metrics.reconciled(result.failed ? "failure" : "success", seconds);
    this.metrics.managedObjects(result.desired.length);
    if (!result.failed) this.metrics.appliedRevision(revision.sha);
    const changed = n.created + n.configured + n.pruned + n.failed > 0;
    if (changed) {
      await this.#events.synced(revision.sha, result.changes);
      await this.#events.pruned(revision.sha, result.changes);
    }
    if (!quiet || changed) {
      await this.#record({ action: "sync-finished", revision: revision.sha, created: n.created, configured: n.configured, unchanged: n.unchanged, pruned: n.pruned, durationMs: Math.round(seconds * 1000) });
      this.log.info({ revision: revision.sha, ...n, durationMs: Math.round(seconds * 1000) }, "synced");
    }
    for (const r of result.restarts) {
      const applied = result.changes.find((c) => c.kind === r.kind && c.name === r.name);
      if (applied?.action !== "configured") continue;
      this.metrics.restartTriggered(r.kind);
      await this.#record({ action: "restart-triggered", group: applied.group, kind: r.kind, namespace: ns, name: r.name, revision: revision.sha, changedKeys: r.changedKeys.join(",") || undefined });
      await this.#events.restart(revision.sha, r, r.changedKeys);
      this.log.info({ kind: r.kind, name: r.name, changedKeys: r.changedKeys }, "restart triggered: config changed");
    }
    const resources = [...new Map(result.desired.map((d) => [`${d.resource.group}/${d.resource.kind}`, d.resource] as [string, ResourceInfo])).values()];
    this.#drift.update(this.#setId(), resources, result.listedAt);
    if (!result.failed) this.#health.follow(result, this.#setId());
    await this.#writeStatus(revision.sha, result.desired.length);
  }

  #setId(): string {
    return applySetId(this.flags.applysetName ?? DEFAULT_PARENT_NAME, this.#ctx.namespace);
  }

  async #failed(reason: string, err: Error, revision: Revision | undefined, started: number): Promise<PassOutcome> {
    const durationMs = Date.now() - started;
    this.metrics.reconciled("failure", durationMs / 1000);
    await this.#record({ action: "sync-failed", reason, revision: revision?.sha, message: err.message.slice(0, 4000), durationMs });
    this.log.error({ reason, revision: revision?.sha, err: err.message }, "sync failed; the last good revision stays in force");
    await this.#events.failed(revision?.sha, `${reason}: ${err.message}`);
    await this.#writeStatus(undefined, undefined, `${reason}: ${err.message.split("\n")[0]}`);
    return { ok: false, revision: revision?.sha, error: err };
  }

  #setFailingDocuments(docs: FailingDocument[]): void {
    this.#failingDocuments = docs;
    this.metrics.failingDocuments(docs.length);
  }

  /** The last status again, with the health as it is now. */
  async #rewriteStatus(): Promise<void> {
    if (!this.#status) return;
    this.#status = { ...this.#status, ...this.#health.statusFields(), time: new Date().toISOString() };
    await writeStatus(this.#ctx.client, this.#ctx.namespace, this.flags.applysetName ?? DEFAULT_PARENT_NAME, this.#status)
      .catch((e: Error) => this.log.debug({ err: e.message }, "status not written"));
  }

  async #writeStatus(attempted?: string, objects?: number, error?: string): Promise<void> {
    try {
      await writeStatus(this.#ctx.client, this.#ctx.namespace, this.flags.applysetName ?? DEFAULT_PARENT_NAME, this.#status = {
        ...this.loop.status,
        ...this.#attempt,
        ...this.#health.statusFields(),
        failingDocuments: this.#failingDocuments.length > 0 ? this.#failingDocuments : undefined,
        lastAttemptedRevision: attempted ?? this.loop.status.lastAttemptedRevision,
        lastAppliedRevision: error ? this.loop.status.lastAppliedRevision : attempted ?? this.loop.status.lastAppliedRevision,
        lastError: error,
        // The loop counts this failure only after the pass returns, hence + 1.
        phase: error ? (this.loop.status.consecutiveFailures + 1 >= STALLED_AFTER ? "Stalled" : "Reconciling") : "Ready",
        managedObjects: objects ?? this.#status?.managedObjects,
        time: new Date().toISOString(),
      });
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, "status not written");
    }
  }

  async #record(event: Parameters<AuditLog["append"]>[0]): Promise<void> {
    try {
      await this.#audit.append(event);
    } catch (err) {
      this.log.error({ err: (err as Error).message, action: event.action }, "audit append failed");
    }
  }

  /** SIGTERM: finish the running pass, stop watching, release the lease, close the log. Idempotent. */
  stop(reason = "signal"): Promise<void> {
    this.#stopping ??= (async () => {
      clearTimeout(this.#driftTimer);
      await this.loop.stop();
      this.#drift.close();
      this.#health.stop();
      await this.#elector?.release().catch((err: Error) => this.log.warn({ err: err.message }, "lease release failed"));
      await this.#record({ action: "daemon-stop", reason, identity: identity() });
      await this.server?.close();
      await this.#audit.close();
      await this.#ctx.close();
      this.log.info({ reason }, "sealsync stopped");
    })();
    return this.#stopping;
  }
}

