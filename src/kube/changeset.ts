/**
 * The closed vocabulary of apply outcomes, beside the apply layer that produces them (as Flux keeps
 * ssa/changeset.go beside its apply manager): every log line, event, audit entry and exit code derives from it.
 */
export type Action = "created" | "configured" | "unchanged" | "pruned" | "failed" | "skipped";

export interface Change {
  action: Action;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  /** For failed/skipped: why (never a secret value). */
  reason?: string;
}

export function subjectOf(c: Pick<Change, "kind" | "name">): string {
  return `${c.kind}/${c.name}`;
}

export function formatChange(c: Change): string {
  return `${c.action} ${subjectOf(c)}${c.reason ? `: ${c.reason}` : ""}`;
}

export function countActions(changes: Change[]): Record<Action, number> {
  const counts: Record<Action, number> = { created: 0, configured: 0, unchanged: 0, pruned: 0, failed: 0, skipped: 0 };
  for (const c of changes) counts[c.action]++;
  return counts;
}
