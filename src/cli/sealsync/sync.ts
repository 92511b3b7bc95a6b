/**
 * `sealsync sync --once` and `sealsync plan`: make one revision true now, or show what that would do.
 * Data (one line per object) to stdout, messages to stderr. Exit 0 on success, 1 when anything failed
 * or was refused, 2 on a usage error.
 */
import { Option, type Command } from "commander";
import { AuditLog, defaultAuditLogPath, readHmacKeyFile } from "../../audit/index.js";
import { recordFailure, recordResult, recordSyncStarted } from "../../reconcile/audit-trail.js";
import { countActions, formatChange } from "../../kube/changeset.js";
import { formatFieldChange } from "../../reconcile/diff.js";
import type { PlannedObject, ReconcileResult } from "../../reconcile/sync.js";
import { subject, type Revision } from "../../source/revision.js";
import { describeRewind } from "../../source/rollback.js";
import { addSyncOptions, type SyncFlags } from "../../config/sync-options.js";
import { withExitCodes } from "../exit.js";
import { applySetId, DEFAULT_PARENT_NAME } from "../../kube/applyset.js";
import { waitForHealth } from "../../reconcile/health-wait.js";
import { formatFailing, type RevisionHealthReport } from "../../reconcile/revision-health.js";

function printHealth(report: RevisionHealthReport, seconds: number): void {
  if (report.phase === "Ready") {
    console.log(`health: Ready: ${report.objects.length} objects Current after ${seconds.toFixed(1)}s`);
    return;
  }
  const why = report.reason === "HealthTimeout" ? "not Ready within the health timeout" : "an object failed";
  console.error(`error: revision ${report.revision.slice(0, 12)} is Degraded (${why}) after ${seconds.toFixed(1)}s:`);
  for (const line of formatFailing(report)) console.error(`  - ${line}`);
}

function describeRevision(r: Revision): string {
  const who = r.author ? ` by ${r.author.name}` : "";
  const what = r.message ? `: ${JSON.stringify(subject(r.message))}` : "";
  return `revision ${r.sha.slice(0, 12)} (${r.ref})${who}${what}`;
}

function revisionJson(r: Revision) {
  return { sha: r.sha, ref: r.ref, author: r.author, committer: r.committer, subject: subject(r.message), warnings: r.warnings, verification: r.verification, rewound: r.rewound };
}

const PLAN_MARK: Record<PlannedObject["action"], string> = { create: "+", configure: "~", prune: "-", unchanged: "=" };

function printPlan(result: ReconcileResult): void {
  for (const p of result.plan) {
    if (p.action === "unchanged") continue;
    const how = p.decryption ? ` (decrypted in memory: ${p.decryption.format}, key ${p.decryption.keyId})` : "";
    console.log(`${PLAN_MARK[p.action]} ${p.action} ${p.subject}${how}`);
    if (p.action === "configure") for (const f of p.diff) console.log(`    ${formatFieldChange(f)}`);
  }
  const n = (a: PlannedObject["action"]) => result.plan.filter((p) => p.action === a).length;
  console.log(`plan: ${n("create")} to create, ${n("configure")} to configure, ${n("prune")} to prune, ${n("unchanged")} unchanged`);
}

interface OnceFlags extends SyncFlags {
  auditLog?: string;
  auditHmacKeyFile?: string;
  wait?: boolean;
}

async function runOnce(flags: OnceFlags, dryRun: boolean): Promise<void> {
  // The reconcile graph loads only when a command runs (see scripts/bundle.mjs).
  const [{ reconcile }, { buildSyncContext }] = await Promise.all([import("../../reconcile/sync.js"), import("./context.js")]);
  const ctx = await buildSyncContext(flags);
  // A sync changes the cluster, so it is audited like the daemon's passes (a plan changes nothing).
  const audit = dryRun ? undefined : await AuditLog.open({
    file: flags.auditLog ?? defaultAuditLogPath(flags.dataDir),
    hmacKey: flags.auditHmacKeyFile ? await readHmacKeyFile(flags.auditHmacKeyFile) : undefined,
  }).catch(async (err: unknown) => {
    await ctx.close();
    throw err;
  });
  for (const p of ctx.keyring?.problems() ?? []) console.error(`warning: ${p.message}; skipped, the other keys are in use`);
  const started = Date.now();
  let revision: Revision | undefined;
  try {
    revision = await ctx.source.fetch();
    for (const w of revision.warnings) console.error(`warning: ${w}`);
    if (revision.rewound) console.error(`warning: ${describeRewind(revision.sha, revision.rewound)} (pass --refuse-rollback to refuse)`);
    if (flags.output === "text") console.log(describeRevision(revision));
    if (audit) await recordSyncStarted(audit, revision, "manual");
    if (flags.output === "text" && revision.verification) {
      const v = revision.verification;
      console.log(`signature verified (--verify ${v.mode}): signed by ${v.signer}${v.mode === "strict" ? `, ${v.commits} new commit${v.commits === 1 ? "" : "s"} checked` : ""}`);
    }
    const result = await reconcile(revision, { ...ctx.reconcileOptions, dryRun });
    if (audit) await recordResult(audit, result, ctx.namespace, Date.now() - started);
    for (const w of result.warnings) console.error(`warning: ${w}`);
    // --wait: watch what was applied until it is Ready, Degraded, or the health timeout passes.
    let health: RevisionHealthReport | undefined;
    const waitStarted = Date.now();
    if (flags.wait && !dryRun && !result.failed) {
      health = await waitForHealth({
        client: ctx.client, namespace: ctx.namespace,
        setId: applySetId(flags.applysetName ?? DEFAULT_PARENT_NAME, ctx.namespace), revision: revision.sha,
        objects: result.desired.map((d) => ({ resource: d.resource, name: d.object.metadata.name })),
        timeoutMs: flags.healthTimeout,
      });
    }
    if (flags.output === "json") {
      console.log(JSON.stringify(dryRun
        ? { revision: revisionJson(revision), plan: result.plan }
        : { revision: revisionJson(revision), changes: result.changes, failed: result.failed, restarts: result.restarts, health }, null, 2));
    } else if (dryRun) {
      printPlan(result);
    } else {
      for (const c of result.changes) console.log(formatChange(c));
      for (const r of result.restarts) console.log(`restart ${r.kind}/${r.name}${r.changedKeys.length > 0 ? ` (changed ${r.changedKeys.join(", ")})` : ""}`);
      const n = countActions(result.changes);
      console.log(`synced: ${n.created} created, ${n.configured} configured, ${n.unchanged} unchanged, ${n.pruned} pruned, ${n.failed} failed`);
      if (health) printHealth(health, (Date.now() - waitStarted) / 1000);
    }
    if (result.failed) process.exitCode = 1;
    else if (!dryRun) ctx.source.applied?.(revision.sha);
    if (health && health.phase !== "Ready") process.exitCode = 1;
  } catch (err) {
    if (audit && err instanceof Error) await recordFailure(audit, err, revision, ctx.namespace, Date.now() - started);
    throw err;
  } finally {
    await audit?.close();
    await ctx.close();
  }
}

export function registerSyncCommands(program: Command): void {
  addSyncOptions(program.command("sync")
    .description("fetch one revision, decrypt it in memory and make the namespace match it (server-side apply + prune)")
    .option("--once", "sync once and exit (the default; `sealsync run` keeps syncing)", true)
    .option("--wait", "then wait until what was applied is Ready (kstatus rules); exit 1 if it is Degraded or not Ready within --health-timeout")
    .addOption(new Option("--audit-log <file>", "audit log file, chained like the daemon's (default <data-dir>/audit/audit.jsonl)").env("SEALSYNC_AUDIT_LOG"))
    .addOption(new Option("--audit-hmac-key-file <file>", "sign every audit entry with this key (HMAC-SHA256)").env("SEALSYNC_AUDIT_HMAC_KEY_FILE"))
    .addHelpText("after", `
Example:
  sealsync sync --once --repo https://git.example.com/team/app.git --path deploy/prod \\
    --git-username deploy --git-password-file /etc/git/token --keys /etc/sealsync/keys -n app`))
    .action((flags: OnceFlags) => withExitCodes(() => runOnce(flags, false)));

  addSyncOptions(program.command("plan")
    .description("show what a sync would change (server-side dry-run), with every Secret value hidden; changes nothing")
    .addHelpText("after", `
Example:
  sealsync plan --dir ./manifests --keys ./keys -n app`))
    .action((flags: SyncFlags) => withExitCodes(() => runOnce(flags, true)));
}
