/**
 * `sealsync run`: the sidecar. It keeps the newest good revision true in its namespace — polling Git
 * and listening for webhooks, correcting drift seen by its watches, acting only while it holds the
 * Lease — and reports every action to the audit log, metrics, Events, logs and a status annotation.
 *
 * This file wires the parts and runs their lifecycle (start, leadership, stop). The jobs live beside it:
 * one pass (pass.ts), fanning its result out (report.ts), drift debounce and back-off (drift-backoff.ts).
 */
import { AuditLog, defaultAuditLogPath, readHmacKeyFile } from "../audit/index.js";
import type { SyncFlags } from "../config/sync-options.js";
import { DEFAULT_PARENT_NAME, applySetId } from "../kube/applyset.js";
import { EventRecorder } from "../kube/events.js";
import { LeaderElector } from "../kube/lease.js";
import { createLogger, type Logger } from "../log.js";
import { createMetrics, type Metrics } from "../metrics.js";
import type { SyncContext } from "../reconcile/context.js";
import { ReconcileLoop } from "../reconcile/loop.js";
import { startServer, type RunningServer } from "../server/index.js";
import { VERSION } from "../version.js";
import { DriftBackoff } from "./drift-backoff.js";
import { DriftWatcher } from "./drift-watch.js";
import { PassRunner } from "./pass.js";
import { PassReporter, recordAudit, type AuditEvent } from "./report.js";

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
  /** Deadline of one pass (milliseconds). */
  syncTimeout?: number;
  /** Bearer token file guarding /v1/audit. */
  apiTokenFile?: string;
}

const identity = () => process.env.POD_NAME ?? `${process.env.HOSTNAME ?? "sealsync"}_${process.pid}`;

export class Daemon {
  readonly loop: ReconcileLoop;
  readonly metrics: Metrics = createMetrics();
  readonly log: Logger;
  server?: RunningServer;
  #ctx: SyncContext;
  #audit!: AuditLog;
  #elector?: LeaderElector;
  #drift!: DriftWatcher;
  #backoff: DriftBackoff;
  #passes!: PassRunner;
  #acting = false;
  #stopping?: Promise<void>;

  private constructor(private readonly flags: RunFlags, ctx: SyncContext) {
    this.#ctx = ctx;
    this.log = createLogger({ level: flags.logLevel, base: { component: "sealsync" } });
    this.loop = new ReconcileLoop({ intervalMs: flags.interval, passTimeoutMs: flags.syncTimeout, pass: (t, signal) => this.#passes.run(t, signal) });
    this.#backoff = new DriftBackoff({ log: this.log, trigger: () => this.loop.trigger("drift") });
  }

  /** Starts on a context built by the command (src/cli/sealsync/context.ts); stop() closes it. */
  static async start(flags: RunFlags, ctx: SyncContext): Promise<Daemon> {
    const d = new Daemon(flags, ctx);
    await d.#init();
    return d;
  }

  async #init(): Promise<void> {
    const f = this.flags;
    const { namespace, client } = this.#ctx;
    this.#audit = await AuditLog.open({
      file: f.auditLog ?? defaultAuditLogPath(f.dataDir),
      hmacKey: f.auditHmacKeyFile ? await readHmacKeyFile(f.auditHmacKeyFile) : undefined,
      stdout: f.auditStdout,
      onStripped: (action, fields) => this.log.warn({ action, fields }, "audit: dropped fields outside the schema"),
    });
    await this.#record({ action: "daemon-start", version: VERSION, namespace, identity: identity(), pid: process.pid });
    const parentName = f.applysetName ?? DEFAULT_PARENT_NAME;
    const events = new EventRecorder({
      client, parent: { name: parentName, namespace }, instance: identity(),
      onError: (err) => this.log.debug({ err: err.message }, "event not recorded"),
    });
    this.#drift = new DriftWatcher({
      client, namespace, stallTimeoutMs: f.watchStallTimeoutMs,
      onDrift: (s) => this.#backoff.signal(s),
      onError: (err) => this.log.warn({ err: err.message }, "watch restarted"),
    });
    const reporter = new PassReporter({
      audit: this.#audit, events, metrics: this.metrics, log: this.log, drift: this.#drift, backoff: this.#backoff,
      loop: this.loop, client, namespace, parentName, setId: applySetId(parentName, namespace), ref: f.ref,
    });
    this.#passes = new PassRunner({
      ctx: this.#ctx, metrics: this.metrics, log: this.log, reporter, backoff: this.#backoff,
      hardResyncEvery: f.hardResyncEvery, selfHeal: f.selfHeal,
    });

    const keyring = this.#ctx.keyring;
    for (const p of keyring?.problems() ?? []) this.log.warn({ source: p.source }, `${p.message}; skipped, the other keys are in use`);
    keyring?.on("reload", (change) => {
      this.log.info({ added: change.added.map((k) => k.id), removed: change.removed.map((k) => k.id) }, "keys reloaded");
      void this.#record({ action: "key-reload", keys: change.keys.length, keyIds: change.keys.map((k) => k.id).join(",") });
      this.loop.trigger("keys");
    });
    keyring?.on("reloadError", (err) => this.log.error({ err: err.message }, "key reload: skipped what is not a usable key; keys from a source that turned bad stay in force"));

    this.server = await startServer({
      listen: f.listen,
      isReady: () => this.#readiness(),
      isLive: () => this.loop.health(),
      metrics: this.metrics,
      auditFile: this.#audit.file,
      apiTokenFile: f.apiTokenFile,
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
    await this.loop.stop();
    await this.#record({ action: "leader-lost", identity: identity(), lease: this.flags.leaseName });
    this.log.warn({ holder: identity() }, "lost the lease: standing by");
  }

  /**
   * Always ready once serving: the probe sits in the app's pod, so gating it on Git (a bad commit, an
   * outage) would take the app out of its Service while the last good state is still live. Staleness is
   * reported by the status annotation, the sealsync_stale metric and Warning Events instead.
   */
  #readiness(): { ready: true } {
    return { ready: true };
  }

  async #record(event: AuditEvent): Promise<void> {
    await recordAudit(this.#audit, this.log, event);
  }

  /** SIGTERM: finish the running pass, stop watching, release the lease, close the log. Idempotent. */
  stop(reason = "signal"): Promise<void> {
    this.#stopping ??= (async () => {
      this.#backoff.close();
      await this.loop.stop();
      this.#drift.close();
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

