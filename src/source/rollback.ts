/**
 * No silent rollback: a target commit that is not a descendant of the last applied one (an older
 * commit, or another line of history after a force-push) is reported, and with --refuse-rollback
 * refused until a descendant arrives. `git revert` makes a new descendant commit and is never affected.
 * The last applied commit is kept under --data-dir, so a restart still knows it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CommitReader, walkRange, type ObjectStore } from "./history.js";
import { SourceError } from "./revision.js";

export interface Rewind {
  /** The last applied commit. */
  from: string;
  /** ancestor: the target is older history of it; diverged: another line (force-push). */
  kind: "ancestor" | "diverged";
}

export class RollbackRefusedError extends SourceError {
  constructor(readonly target: string, readonly rewind: Rewind) {
    super(`refusing commit ${target}: ${describeRewind(target, rewind)}; --refuse-rollback keeps ${rewind.from} until a descendant of it is pushed`);
    this.name = "RollbackRefusedError";
  }
}

export function describeRewind(target: string, r: Rewind): string {
  return r.kind === "ancestor"
    ? `the source was rewound to ${target}, an ancestor of the last applied commit ${r.from}`
    : `the source was force-pushed to ${target}, which does not descend from the last applied commit ${r.from}`;
}

export class RollbackGuard {
  constructor(private readonly opts: { stateFile: string; refuse: boolean }) {}

  get lastApplied(): string | undefined {
    try {
      const state = JSON.parse(readFileSync(this.opts.stateFile, "utf8")) as { lastApplied?: unknown };
      return typeof state.lastApplied === "string" && /^[0-9a-f]{40}$/.test(state.lastApplied) ? state.lastApplied : undefined;
    } catch {
      return undefined;
    }
  }

  /** How `target` relates to the last applied commit: undefined when it is that commit or a descendant. */
  async check(store: ObjectStore, target: string): Promise<Rewind | undefined> {
    const from = this.lastApplied;
    if (!from || from === target) return undefined;
    const range = await walkRange(new CommitReader(store), target, from);
    if (range.anchorReachable) return undefined;
    const rewind: Rewind = { from, kind: range.targetBehind ? "ancestor" : "diverged" };
    if (this.opts.refuse) throw new RollbackRefusedError(target, rewind);
    return rewind;
  }

  /** Called once a revision is in force. */
  applied(sha: string): void {
    mkdirSync(path.dirname(this.opts.stateFile), { recursive: true });
    const tmp = `${this.opts.stateFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ lastApplied: sha })}\n`);
    renameSync(tmp, this.opts.stateFile);
  }
}
