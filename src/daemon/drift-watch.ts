/**
 * Self-heal's eyes: one watch per kind in the inventory (our part-of label, our namespace). An edit or a
 * deletion by anyone but sealsync is reported as drift; our own writes and prunes are not.
 * The watches restart themselves on errors and silent stalls (src/kube/watch.ts).
 */
import type { KubeClient, KubeObject } from "../kube/client.js";
import { Discovery, type ResourceInfo } from "../kube/discovery.js";
import { LABEL_PART_OF } from "../kube/applyset.js";
import { FIELD_MANAGER } from "../kube/apply.js";
import { watchCollection, type Watch } from "../kube/watch.js";

export interface DriftSignal {
  group: string;
  kind: string;
  name: string;
  type: "MODIFIED" | "DELETED";
  /** Who changed it last (from managedFields), when known. */
  fieldManager?: string;
}

export interface DriftWatcherOptions {
  client: KubeClient;
  namespace: string;
  onDrift(signal: DriftSignal): void;
  onError?(err: Error): void;
  /** Restart a silent watch after this long (tests use short values). */
  stallTimeoutMs?: number;
}

/**
 * The manager of the newest managedFields entry. Times have one-second resolution: on a tie another
 * manager wins over sealsync, because a false alarm costs one cheap no-op pass and a miss leaves drift.
 */
export function lastWriter(obj: KubeObject): string | undefined {
  const fields = (obj.metadata.managedFields ?? []) as { manager?: string; time?: string; subresource?: string }[];
  let best: { manager?: string; time?: string } | undefined;
  for (const f of fields) {
    // Controllers reporting status (a Deployment's replicas, a Job's conditions) change nothing Git owns.
    if (f.subresource === "status") continue;
    const newer = !best || (f.time ?? "") > (best.time ?? "");
    const tieWon = best && (f.time ?? "") === (best.time ?? "") && best.manager === FIELD_MANAGER;
    if (newer || tieWon) best = f;
  }
  return best?.manager;
}

export class DriftWatcher {
  readonly #watches = new Map<string, Watch>();
  /** "uid/resourceVersion" we wrote, and uids we pruned: their events are ours. */
  readonly #ours = new Set<string>();
  readonly #pruned = new Set<string>();
  #setId = "";

  constructor(private readonly opts: DriftWatcherOptions) {}

  /** Remembers our own writes so their watch events are not mistaken for drift. */
  noteApplied(uid: string | undefined, resourceVersion: string | undefined): void {
    if (uid && resourceVersion) this.#ours.add(`${uid}/${resourceVersion}`);
    if (this.#ours.size > 10_000) this.#ours.clear(); // bounded; a stale miss only costs a no-op pass
  }

  notePruned(uid: string | undefined): void {
    if (uid) this.#pruned.add(uid);
  }

  /**
   * Watches exactly these kinds (called after each successful pass with the inventory's kinds); a new
   * watch starts at the resourceVersion of the pass's own list, so nothing in between is missed.
   */
  update(setId: string, resources: ResourceInfo[], listedAt: Map<string, string> = new Map()): void {
    if (setId !== this.#setId) {
      this.close();
      this.#setId = setId;
    }
    const wanted = new Map(resources.map((r) => [`${r.group}/${r.kind}`, r]));
    for (const [key, w] of this.#watches) {
      if (!wanted.has(key)) {
        w.close();
        this.#watches.delete(key);
      }
    }
    for (const [key, info] of wanted) {
      if (this.#watches.has(key)) continue;
      const watch = watchCollection({
        client: this.opts.client,
        path: Discovery.path(info, this.opts.namespace),
        labelSelector: `${LABEL_PART_OF}=${setId}`,
        initialEvents: false,
        resourceVersion: listedAt.get(key),
        stallTimeoutMs: this.opts.stallTimeoutMs,
        onError: this.opts.onError,
      });
      this.#watches.set(key, watch);
      void this.#consume(watch, info);
    }
  }

  close(): void {
    for (const w of this.#watches.values()) w.close();
    this.#watches.clear();
  }

  async #consume(watch: Watch, info: ResourceInfo): Promise<void> {
    try {
      for await (const ev of watch) {
        const { uid, resourceVersion, name } = ev.object.metadata;
        if (ev.type === "ADDED") continue;
        if (ev.type === "DELETED") {
          if (uid && this.#pruned.delete(uid)) continue;
          this.opts.onDrift({ group: info.group, kind: info.kind, name, type: "DELETED" });
          continue;
        }
        if (this.#ours.has(`${uid}/${resourceVersion}`)) continue;
        const writer = lastWriter(ev.object);
        if (writer === FIELD_MANAGER) continue;
        this.opts.onDrift({ group: info.group, kind: info.kind, name, type: "MODIFIED", fieldManager: writer });
      }
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }
}
