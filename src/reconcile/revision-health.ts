/**
 * The health of one applied revision: Progressing → Ready (every object Current) or Degraded (any object
 * Failed, or not every object Current by the deadline). Pure bookkeeping over the latest copy of each
 * object and of the Pods in the namespace; src/reconcile/health-wait.ts feeds it from watches.
 *
 * A workload that is not Current borrows its failing Pods' reasons (a Deployment whose Pods crash-loop is
 * Failed now, not after its progress deadline), so the report names what a person has to fix.
 */
import type { KubeObject } from "../kube/client.js";
import { objectHealth, type Health } from "./health.js";

export type RevisionPhase = "Progressing" | "Ready" | "Degraded";

export interface ObjectRef {
  group: string;
  kind: string;
  name: string;
}

export interface ObjectHealthReport extends ObjectRef, Health {}

export interface RevisionHealthReport {
  revision: string;
  phase: RevisionPhase;
  /** Why the phase is Degraded: "Failed" (an object failed) or "HealthTimeout". */
  reason?: "Failed" | "HealthTimeout";
  objects: ObjectHealthReport[];
  /** The objects that make the phase Degraded (Failed ones, or on timeout every one not Current). */
  failing: ObjectHealthReport[];
  /** ISO times: when the wait started, and when the phase became final. */
  since: string;
  finishedAt?: string;
}

const WORKLOADS = new Set(["apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "batch/Job"]);
const refKey = (r: ObjectRef) => `${r.group}/${r.kind}/${r.name}`;

function selects(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const match = (selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  if (!match || Object.keys(match).length === 0) return false;
  return Object.entries(match).every(([k, v]) => labels?.[k] === v);
}

export class RevisionHealth {
  readonly #objects = new Map<string, KubeObject>();
  readonly #pods = new Map<string, KubeObject>();
  readonly #since: number;
  #final?: RevisionHealthReport;

  constructor(readonly revision: string, readonly refs: ObjectRef[], readonly deadline: number, now = Date.now()) {
    this.#since = now;
  }

  /** The latest copy of an applied object (from a list or a watch event). Objects not in `refs` are ignored. */
  observe(group: string, obj: KubeObject): void {
    const key = refKey({ group, kind: obj.kind, name: obj.metadata.name });
    if (this.refs.some((r) => refKey(r) === key)) this.#objects.set(key, obj);
  }

  forget(group: string, kind: string, name: string): void {
    this.#objects.delete(refKey({ group, kind, name }));
  }

  observePod(pod: KubeObject): void {
    this.#pods.set(pod.metadata.name, pod);
  }

  forgetPod(name: string): void {
    this.#pods.delete(name);
  }

  /** The report now; once Ready or Degraded the first final report is kept. */
  evaluate(now = Date.now()): RevisionHealthReport {
    if (this.#final) return this.#final;
    const objects = this.refs.map((r) => this.#objectReport(r, now));
    const failedNow = objects.filter((o) => o.status === "Failed");
    const notCurrent = objects.filter((o) => o.status !== "Current");
    const base = { revision: this.revision, objects, since: new Date(this.#since).toISOString() };
    let report: RevisionHealthReport;
    if (failedNow.length > 0) {
      report = { ...base, phase: "Degraded", reason: "Failed", failing: failedNow };
    } else if (notCurrent.length === 0) {
      report = { ...base, phase: "Ready", failing: [] };
    } else if (now >= this.deadline) {
      report = { ...base, phase: "Degraded", reason: "HealthTimeout", failing: notCurrent };
    } else {
      return { ...base, phase: "Progressing", failing: [] };
    }
    this.#final = { ...report, finishedAt: new Date(now).toISOString() };
    return this.#final;
  }

  #objectReport(ref: ObjectRef, now: number): ObjectHealthReport {
    const obj = this.#objects.get(refKey(ref));
    if (!obj) return { ...ref, status: "InProgress", reason: "NotFound", message: "not seen in the cluster yet" };
    const health = objectHealth(obj, now);
    if (health.status === "Current" || !WORKLOADS.has(`${ref.group}/${ref.kind}`)) return { ...ref, ...health };
    // A workload on its way: its Pods say whether it will get there.
    const selector = (obj as { spec?: { selector?: unknown } }).spec?.selector;
    const pods = [...this.#pods.values()].filter((p) => selects(selector, p.metadata.labels)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const podHealth = pods.map((p) => ({ pod: p, health: objectHealth(p, now) }));
    const failedPod = podHealth.find((p) => p.health.status === "Failed");
    if (failedPod) {
      return { ...ref, status: "Failed", reason: failedPod.health.reason, message: `pod ${failedPod.pod.metadata.name}: ${failedPod.health.message} (${health.message})` };
    }
    const stuck = podHealth.find((p) => p.health.status === "InProgress");
    if (stuck) return { ...ref, ...health, message: `${health.message}; pod ${stuck.pod.metadata.name}: ${stuck.health.message}` };
    return { ...ref, ...health };
  }
}

/** One line per failing object: "Deployment/web: ContainerCrashLooping: pod web-…: …". */
export function formatFailing(report: RevisionHealthReport): string[] {
  return report.failing.map((o) => `${o.kind}/${o.name}: ${o.reason}: ${o.message}`);
}

/** Objects by kind and status, for the per-kind metrics (no per-object labels). */
export function countByKind(report: RevisionHealthReport): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const o of report.objects) {
    const byStatus = out.get(o.kind) ?? new Map<string, number>();
    byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    out.set(o.kind, byStatus);
  }
  return out;
}
