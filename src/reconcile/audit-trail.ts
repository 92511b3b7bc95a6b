/**
 * The audit entries of one sync, as `sealsync sync --once` writes them (same actions, same chain as the
 * daemon's): sync-started, then either a decrypted entry per decrypted document, one entry per object
 * created, configured or pruned and sync-finished — or a rejected entry per refused document and
 * sync-failed. Entries name objects, files, key ids and reasons, never a value.
 */
import type { AuditEvent, AuditLog, FailureReason, SyncTrigger } from "../audit/index.js";
import { ApplySetConflictError } from "../kube/applyset.js";
import { RevisionRejectedError } from "../manifests/errors.js";
import { subject, type Revision } from "../source/revision.js";
import { countActions } from "../kube/changeset.js";
import { ReconcileRefusedError, type ReconcileResult } from "./sync.js";

/** The sync-started entry of a revision (the daemon's passes write the same). */
export function syncStartedEvent(revision: Revision, trigger: SyncTrigger): AuditEvent {
  return {
    action: "sync-started", revision: revision.sha, ref: revision.ref, trigger,
    author: revision.author ? `${revision.author.name} <${revision.author.email}>` : undefined,
    committer: revision.committer ? `${revision.committer.name} <${revision.committer.email}>` : undefined,
    commitTime: revision.committer ? new Date(revision.committer.timestamp * 1000).toISOString() : undefined,
    subject: revision.message ? subject(revision.message) : undefined,
    signature: revision.verification ? "verified" : "not-checked",
    signer: revision.verification?.signer,
    verifyMode: revision.verification?.mode as "head" | undefined,
  };
}

export async function recordSyncStarted(audit: AuditLog, revision: Revision, trigger: SyncTrigger): Promise<void> {
  await audit.append(syncStartedEvent(revision, trigger));
}

export async function recordResult(audit: AuditLog, result: ReconcileResult, namespace: string, durationMs: number): Promise<void> {
  const { revision } = result;
  for (const d of result.desired) {
    if (!d.decryption) continue;
    await audit.append({
      action: "decrypted", file: d.ref.file, document: d.ref.index, format: d.decryption.format, keyId: d.decryption.keyId,
      revision: revision.sha, group: d.resource.group, kind: d.object.kind, namespace, name: d.object.metadata.name,
    });
  }
  for (const c of result.changes) {
    const base = { group: c.group, kind: c.kind, namespace: c.namespace, name: c.name, revision: revision.sha };
    if (c.action === "created" || c.action === "configured") {
      await audit.append({ action: `object-${c.action}`, ...base, uid: c.uid, resourceVersion: c.resourceVersion });
    } else if (c.action === "pruned") {
      await audit.append({ action: "object-pruned", ...base, uid: c.uid });
    }
  }
  if (result.failed) {
    const failures = result.changes.filter((c) => c.action === "failed").map((c) => `${c.kind}/${c.name}: ${c.reason ?? "failed"}`);
    await audit.append({ action: "sync-failed", reason: "ApplyFailed", revision: revision.sha, message: failures.join("\n").slice(0, 4000), durationMs });
    return;
  }
  const n = countActions(result.changes);
  await audit.append({ action: "sync-finished", revision: revision.sha, created: n.created, configured: n.configured, unchanged: n.unchanged, pruned: n.pruned, durationMs });
}

/** A refused or failed sync: one rejected entry per refused document, then sync-failed with a Reason word. */
export async function recordFailure(audit: AuditLog, err: Error, revision: Revision | undefined, namespace: string, durationMs: number): Promise<void> {
  let reason: FailureReason = revision ? "ApplyFailed" : "FetchFailed";
  if (err instanceof RevisionRejectedError) {
    reason = err.errors.every((m) => m.rule === "decrypt") ? "DecryptFailed" : "ValidationFailed";
    for (const m of err.errors) {
      const [kind, name] = (m.ref.object ?? "").split("/");
      await audit.append({ action: "rejected", rule: m.rule, revision: revision?.sha, file: m.ref.file, document: m.ref.index, kind, name, namespace, message: m.reason });
    }
  } else if (err instanceof ReconcileRefusedError) {
    reason = "ReconcileRefused";
    for (const r of err.reasons) await audit.append({ action: "rejected", rule: "refused", revision: revision?.sha, message: r });
  } else if (err instanceof ApplySetConflictError) {
    reason = "InventoryConflict";
  }
  await audit.append({ action: "sync-failed", reason, revision: revision?.sha, message: err.message.slice(0, 4000), durationMs });
}
