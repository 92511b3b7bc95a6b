/**
 * Waits for an applied revision to become Ready or Degraded, driven by watches (src/kube/watch.ts), not
 * polling: one watch per applied kind (our ApplySet members only) and one of the namespace's Pods, for
 * as long as the revision is Progressing. Every change of the report is passed to onUpdate; the promise
 * resolves with the final report (Ready, Degraded), or the last Progressing one when `signal` aborts
 * (a newer revision cancels the wait).
 */
import { KubeApiError, type KubeClient, type KubeObject } from "../kube/client.js";
import { Discovery, type ResourceInfo } from "../kube/discovery.js";
import { LABEL_PART_OF } from "../kube/applyset.js";
import { watchCollection, type Watch } from "../kube/watch.js";
import { DEFAULT_HEALTH_TIMEOUT_MS } from "../config/sync-options.js";
import { RevisionHealth, type ObjectRef, type RevisionHealthReport } from "./revision-health.js";

export { DEFAULT_HEALTH_TIMEOUT_MS };

const POD: ResourceInfo = { apiVersion: "v1", group: "", version: "v1", kind: "Pod", resource: "pods", namespaced: true };

export interface HealthWaitOptions {
  client: KubeClient;
  namespace: string;
  /** The ApplySet id: only our members are watched. */
  setId: string;
  revision: string;
  /** What the revision applied: each object's kind (with its resource) and name. */
  objects: { resource: ResourceInfo; name: string }[];
  timeoutMs?: number;
  signal?: AbortSignal;
  onUpdate?(report: RevisionHealthReport): void;
  onError?(err: Error): void;
  /** Restart a silent watch after this long (tests). */
  stallTimeoutMs?: number;
}

function fingerprint(r: RevisionHealthReport): string {
  return JSON.stringify([r.phase, r.objects.map((o) => [o.status, o.reason, o.message])]);
}

export async function waitForHealth(opts: HealthWaitOptions): Promise<RevisionHealthReport> {
  const refs: ObjectRef[] = opts.objects.map((o) => ({ group: o.resource.group, kind: o.resource.kind, name: o.name }));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const health = new RevisionHealth(opts.revision, refs, Date.now() + timeoutMs);
  const kinds = new Map(opts.objects.map((o) => [`${o.resource.group}/${o.resource.kind}`, o.resource]));
  const watches: Watch[] = [];
  let last = "";
  let settle!: (r: RevisionHealthReport) => void;
  const done = new Promise<RevisionHealthReport>((resolve) => (settle = resolve));
  let finished = false;
  let timer: NodeJS.Timeout | undefined;

  const check = () => {
    if (finished) return;
    const report = health.evaluate();
    const fp = fingerprint(report);
    if (fp !== last) {
      last = fp;
      opts.onUpdate?.(report);
    }
    if (report.phase !== "Progressing") finish(report);
  };
  const finish = (report: RevisionHealthReport) => {
    finished = true;
    clearTimeout(timer);
    for (const w of watches) w.close();
    settle(report);
  };
  const consume = async (w: Watch, apply: (type: string, obj: KubeObject) => void) => {
    try {
      for await (const ev of w) {
        apply(ev.type, ev.object);
        check();
      }
    } catch (err) {
      opts.onError?.(err as Error);
    }
  };

  if (opts.signal?.aborted) return health.evaluate();
  opts.signal?.addEventListener("abort", () => finish(health.evaluate()), { once: true });
  for (const info of kinds.values()) {
    const w = watchCollection({
      client: opts.client, path: Discovery.path(info, opts.namespace), labelSelector: `${LABEL_PART_OF}=${opts.setId}`,
      initialEvents: true, stallTimeoutMs: opts.stallTimeoutMs, onError: opts.onError,
    });
    watches.push(w);
    void consume(w, (type, obj) => (type === "DELETED" ? health.forget(info.group, info.kind, obj.metadata.name) : health.observe(info.group, obj)));
  }
  // Pods only explain a workload's state; without the right to read them (403) health goes on without.
  const pods: Watch = watchCollection({
    client: opts.client, path: Discovery.path(POD, opts.namespace), initialEvents: true, stallTimeoutMs: opts.stallTimeoutMs,
    onError: (err) => (err instanceof KubeApiError && err.status === 403 ? pods.close() : opts.onError?.(err)),
  });
  watches.push(pods);
  void consume(pods, (type, obj) => (type === "DELETED" ? health.forgetPod(obj.metadata.name) : health.observePod(obj)));

  // Wake up for the deadline, and for kstatus' unschedulable window (a Pod turns Failed by time alone).
  const tick = () => {
    check();
    if (!finished) timer = setTimeout(tick, Math.min(5_000, Math.max(0, health.deadline - Date.now())));
  };
  timer = setTimeout(tick, Math.min(5_000, timeoutMs));
  await Promise.race([Promise.all(watches.map((w) => w.ready)), done]).catch(() => undefined);
  check();
  return done;
}
