/**
 * `sealsync run`: the sidecar daemon. Same flags as `sync` (and env twins SEALSYNC_<FLAG>), plus the
 * loop, HTTP and audit flags. Logs are JSON lines on stdout; SIGTERM/SIGINT stop it cleanly (exit 0).
 */
import { Option, type Command } from "commander";
import { DEFAULT_LEASE_NAME } from "../../kube/lease.js";
import { parseDuration } from "../../config/duration.js";
import { addSyncOptions, UsageError } from "../../config/sync-options.js";
import { Daemon, type RunFlags } from "../../daemon/daemon.js";
import { buildSyncContext } from "./context.js";
import { withExitCodes } from "./sync.js";

function duration(flag: string, min = 1) {
  return (v: string) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min) throw new UsageError(`invalid flag: ${flag} must be a duration like 30s, 5m or 1h (at least ${min} ms), got ${JSON.stringify(v)}`);
    return ms;
  };
}

export function registerRunCommand(program: Command): void {
  const opt = (flags: string, description: string, env: string) => new Option(flags, description).env(`SEALSYNC_${env}`);
  const cmd = addSyncOptions(program.command("run")
    .description("run the sidecar: keep the namespace in sync with Git, correct drift, serve health, metrics and webhooks"))
    .addOption(opt("--interval <duration>", "how often to poll Git (with up to 10% jitter)", "INTERVAL").default(60_000, "60s").argParser(duration("--interval", 100)))
    .addOption(opt("--webhook-secret-file <file>", "enable POST /hooks/git; pushes must be signed with this secret (GitHub, Gitea/Gogs, GitLab)", "WEBHOOK_SECRET_FILE"))
    .addOption(opt("--no-self-heal", "report drift (log, audit, metrics) without correcting it", "NO_SELF_HEAL"))
    .addOption(opt("--listen <[host:]port>", "address of /healthz, /readyz, /metrics, /hooks/git, /v1/*", "LISTEN").default(":9090"))
    .addOption(opt("--no-leader-election", "act without a Lease (only safe with one replica)", "NO_LEADER_ELECTION"))
    .addOption(opt("--lease-name <name>", "the coordination.k8s.io Lease replicas compete for", "LEASE_NAME").default(DEFAULT_LEASE_NAME))
    .addOption(opt("--audit-log <file>", "audit log file (default <data-dir>/audit/audit.jsonl)", "AUDIT_LOG"))
    .addOption(opt("--audit-hmac-key-file <file>", "sign every audit entry with this key (HMAC-SHA256)", "AUDIT_HMAC_KEY_FILE"))
    .addOption(opt("--audit-stdout", "also write audit entries to stdout, for log shippers", "AUDIT_STDOUT"))
    .addOption(opt("--log-level <level>", "trace, debug, info, warn, error", "LOG_LEVEL").default("info"))
    .addOption(opt("--hard-resync-every <n>", "re-check an unchanged revision every n intervals", "HARD_RESYNC_EVERY").default(10).argParser((v) => Math.max(1, Number(v) || 10)))
    // Test and demo knobs: short lease and watchdog timings.
    .addOption(new Option("--lease-duration <duration>").hideHelp().argParser(duration("--lease-duration")))
    .addOption(new Option("--renew-deadline <duration>").hideHelp().argParser(duration("--renew-deadline")))
    .addOption(new Option("--retry-period <duration>").hideHelp().argParser(duration("--retry-period")))
    .addOption(new Option("--watch-stall-timeout <duration>").hideHelp().argParser(duration("--watch-stall-timeout")))
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
