/**
 * `sealsync run`: the sidecar daemon. Same flags as `sync` (and env twins SEALSYNC_<FLAG>), plus the
 * loop, HTTP and audit flags. Logs are JSON lines on stdout; SIGTERM/SIGINT stop it cleanly (exit 0).
 */
import { Option, type Command } from "commander";
import { DEFAULT_LEASE_NAME } from "../../kube/lease.js";
import { checkFileFlag, durationFlag, flagParser, wholeNumberFlag } from "../../config/flag-parsers.js";
import { addSyncOptions, validateSyncFlags } from "../../config/sync-options.js";
import type { RunFlags } from "../../daemon/daemon.js";
import { LOG_LEVELS } from "../../log.js";
import { DEFAULT_PASS_TIMEOUT_MS } from "../../reconcile/loop.js";
import { parseListen } from "../../server/listen.js";
import { withExitCodes } from "../exit.js";

/** Every flag and file of `run`, checked before anything starts (nothing is audited for a run that cannot start). */
function validateRunFlags(flags: RunFlags): void {
  validateSyncFlags(flags);
  if (flags.webhookSecretFile) checkFileFlag("--webhook-secret-file", flags.webhookSecretFile, { nonEmpty: true, what: "the webhook's shared secret" });
  if (flags.auditHmacKeyFile) checkFileFlag("--audit-hmac-key-file", flags.auditHmacKeyFile, { nonEmpty: true, what: "the audit HMAC key" });
  if (flags.apiTokenFile) checkFileFlag("--api-token-file", flags.apiTokenFile, { nonEmpty: true, what: "the bearer token of /v1/audit" });
}

export function registerRunCommand(program: Command): void {
  const opt = (flags: string, description: string, env: string) => new Option(flags, description).env(`SEALSYNC_${env}`);
  const cmd = addSyncOptions(program.command("run")
    .description("run the sidecar: keep the namespace in sync with Git, correct drift, serve health, metrics and webhooks"))
    .addOption(opt("--interval <duration>", "how often to poll Git (with up to 10% jitter)", "INTERVAL").default(60_000, "60s").argParser(durationFlag(100)))
    .addOption(opt("--webhook-secret-file <file>", "enable POST /hooks/git; pushes must be signed with this secret (GitHub, Gitea/Gogs, GitLab)", "WEBHOOK_SECRET_FILE"))
    .addOption(opt("--no-self-heal", "report drift (log, audit, metrics) without correcting it", "NO_SELF_HEAL"))
    .addOption(opt("--listen <[host:]port>", "address of /healthz, /readyz, /metrics, /hooks/git, /v1/*", "LISTEN").default(":9090").argParser(flagParser((v) => (parseListen(v), v))))
    .addOption(opt("--no-leader-election", "act without a Lease (only safe with one replica)", "NO_LEADER_ELECTION"))
    .addOption(opt("--lease-name <name>", "the coordination.k8s.io Lease replicas compete for", "LEASE_NAME").default(DEFAULT_LEASE_NAME))
    .addOption(opt("--audit-log <file>", "audit log file (default <data-dir>/audit/audit.jsonl)", "AUDIT_LOG"))
    .addOption(opt("--audit-hmac-key-file <file>", "sign every audit entry with this key (HMAC-SHA256)", "AUDIT_HMAC_KEY_FILE"))
    .addOption(opt("--audit-stdout", "also write audit entries to stdout, for log shippers", "AUDIT_STDOUT"))
    .addOption(opt("--log-level <level>", "how much to log", "LOG_LEVEL").choices(LOG_LEVELS).default("info"))
    .addOption(opt("--sync-timeout <duration>", "deadline of one sync pass; past it the pass is abandoned, counted as failed and retried", "SYNC_TIMEOUT").default(DEFAULT_PASS_TIMEOUT_MS, "10m").argParser(durationFlag(100)))
    .addOption(opt("--api-token-file <file>", "serve /v1/audit only to requests with this bearer token (without it: loopback clients only, e.g. kubectl port-forward)", "API_TOKEN_FILE"))
    .addOption(opt("--hard-resync-every <n>", "re-check an unchanged revision every n intervals", "HARD_RESYNC_EVERY").default(10).argParser(wholeNumberFlag(1)))
    // Test and demo knobs: short lease and watchdog timings.
    .addOption(new Option("--lease-duration <duration>").hideHelp().argParser(durationFlag()))
    .addOption(new Option("--renew-deadline <duration>").hideHelp().argParser(durationFlag()))
    .addOption(new Option("--retry-period <duration>").hideHelp().argParser(durationFlag()))
    .addOption(new Option("--watch-stall-timeout <duration>").hideHelp().argParser(durationFlag()))
    .addHelpText("after", `
Example (the sidecar's args; see deploy/):
  sealsync run --repo https://git.example.com/team/app.git --ref main --path deploy/prod \\
    --git-username deploy --git-password-file /etc/sealsync/git/token \\
    --keys /etc/sealsync/keys --data-dir /var/lib/sealsync --interval 60s \\
    --webhook-secret-file /etc/sealsync/webhook/secret`);

  cmd.action((raw: Record<string, unknown>) => withExitCodes(async () => {
    const flags = {
      ...raw,
      leaseDurationMs: raw.leaseDuration, renewDeadlineMs: raw.renewDeadline, retryPeriodMs: raw.retryPeriod,
      watchStallTimeoutMs: raw.watchStallTimeout,
    } as unknown as RunFlags;
    validateRunFlags(flags);
    // The daemon's module graph loads only when it runs: --help and --version stay cheap (see scripts/bundle.mjs).
    const [{ Daemon }, { buildSyncContext }] = await Promise.all([import("../../daemon/daemon.js"), import("./context.js")]);
    const ctx = await buildSyncContext(flags, { watchKeys: true });
    const daemon = await Daemon.start(flags, ctx).catch(async (err: unknown) => {
      await ctx.close();
      throw err;
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        daemon.log.info({ signal }, "stopping");
        void daemon.stop(signal).then(resolve, (err: Error) => {
          daemon.log.error({ err: err.message }, "unclean stop");
          process.exitCode = 1;
          resolve();
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    // Everything is flushed and closed; do not let a stray handle outlive the pod's grace period.
    process.exit(process.exitCode ?? 0);
  }));
}
