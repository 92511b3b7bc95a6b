/**
 * Commit history over a shallow object store: the commits in `anchor..target` (reachable from target,
 * not from anchor — git's two-colour walk in committer-date order), whether the anchor is an ancestor of
 * the target, and whether the target is an ancestor of the anchor. A commit the store lacks (the edge of
 * a shallow fetch) is fetched by deepening, as often as needed. Clock skew can only make the range
 * larger (more commits checked), never smaller.
 */
import { parseCommit } from "./verify/signed-object.js";

export interface ObjectStore {
  /** The raw object (type and content), or undefined when the store does not have it. */
  read(oid: string): Promise<{ type: string; object: Buffer } | undefined>;
  /** Fetches more history; false when there is no more to fetch. */
  deepen(): Promise<boolean>;
}

export interface CommitNode {
  oid: string;
  parents: string[];
  time: number;
}

export class HistoryError extends Error {
  override name = "HistoryError";
}

/** Reads commits, deepening the store when one is missing. */
export class CommitReader {
  readonly #cache = new Map<string, CommitNode>();
  deepenings = 0;
  constructor(private readonly store: ObjectStore) {}

  /** The commit, or undefined if no amount of deepening brings it (not in the fetched history). */
  async get(oid: string, deepen = true): Promise<CommitNode | undefined> {
    const hit = this.#cache.get(oid);
    if (hit) return hit;
    for (;;) {
      const raw = await this.store.read(oid);
      if (raw) {
        if (raw.type !== "commit") throw new HistoryError(`object ${oid} is a ${raw.type}, not a commit`);
        const parsed = parseCommit(raw.object);
        const node = { oid, parents: parsed.parents, time: parsed.time ?? 0 };
        this.#cache.set(oid, node);
        return node;
      }
      if (!deepen || !(await this.store.deepen())) return undefined;
      this.deepenings++;
    }
  }
}

const T = 1; // reachable from the target
const A = 2; // reachable from the anchor
/** Anchor-side commits this much older than the oldest target-only one are still walked (clock skew, equal times). */
const SKEW_SECONDS = 3600;

export interface RangeResult {
  /** Commits reachable from target and not from anchor, newest first (target included unless it is anchor's). */
  commits: string[];
  /** The anchor is an ancestor of (or equal to) the target. */
  anchorReachable: boolean;
  /** The target is an ancestor of (or equal to) the anchor. */
  targetBehind: boolean;
}

/** `anchor..target`. Without an anchor (or with one not in history), every commit down to the roots. */
export async function walkRange(reader: CommitReader, target: string, anchor?: string): Promise<RangeResult> {
  const flags = new Map<string, number>();
  const queue: CommitNode[] = [];
  const popped = new Set<string>();
  const push = (node: CommitNode) => {
    let i = queue.length;
    while (i > 0 && (queue[i - 1] as CommitNode).time > node.time) i--;
    queue.splice(i, 0, node); // ascending by time: the newest is popped from the end
  };
  // Past the main walk only the skew margin is drained: from what the store has, never worth a deepening.
  let draining = false;
  const mark = async (oid: string, bits: number, required: boolean) => {
    const had = flags.get(oid) ?? 0;
    if ((had | bits) === had) return;
    flags.set(oid, had | bits);
    const node = await reader.get(oid, !draining || required);
    if (!node) {
      if (required) throw new HistoryError(`commit ${oid} is missing from the fetched history (the remote does not serve it)`);
      return;
    }
    if (popped.delete(oid) || had === 0) push(node);
  };
  await mark(target, T, true);
  // The anchor may be gone from the remote (a force-push): then nothing is known to be verified.
  if (anchor) await mark(anchor, A, false);
  // Oldest commit taken as target-only so far: anchor-side commits around it may still reach it.
  let floor = Infinity;
  const unfinished = () => queue.some((n) => ((flags.get(n.oid) ?? 0) & A) === 0)
    || (queue.length > 0 && (queue[queue.length - 1] as CommitNode).time >= floor - SKEW_SECONDS);
  while (unfinished()) {
    draining = !queue.some((n) => ((flags.get(n.oid) ?? 0) & A) === 0);
    const node = queue.pop() as CommitNode;
    popped.add(node.oid);
    const bits = flags.get(node.oid) ?? 0;
    if (bits === T) floor = Math.min(floor, node.time);
    // Parents of an anchor-side commit the remote no longer has are not required; target-side ones are.
    for (const p of node.parents) await mark(p, bits, bits === T);
  }
  const commits = [...popped].filter((oid) => flags.get(oid) === T);
  return {
    commits,
    anchorReachable: anchor !== undefined && ((flags.get(anchor) ?? 0) & T) !== 0,
    targetBehind: anchor !== undefined && ((flags.get(target) ?? 0) & A) !== 0,
  };
}
