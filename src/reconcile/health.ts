/**
 * The health of one live object, by kstatus' rules (sigs.k8s.io/cli-utils pkg/kstatus/status): a pure
 * function of the object as the API server returns it, so it can run on every watch event.
 *
 *   Current      the controller has caught up with the spec and the object does its job
 *   InProgress   not there yet (may still get there)
 *   Failed       will not get there without a change (deadline exceeded, crash loop, job failed, Stalled)
 *   Terminating  being deleted
 *
 * Order of the rules, as kstatus: deletion → observedGeneration behind generation → the generic
 * Reconciling/Stalled conditions → the kind's own rules → a Ready condition → Current.
 * Differences: a running Job is InProgress, not Current, until it completes; and kstatus calls a Pod
 * Unschedulable only after 15 s, which needs a clock: here `now` is a parameter so the function stays pure.
 */
import type { KubeObject } from "../kube/client.js";

export type HealthStatus = "Current" | "InProgress" | "Failed" | "Terminating";

export interface Health {
  status: HealthStatus;
  /** A short machine word (kstatus' reasons where it has one, e.g. "LessAvailable", "ContainerCrashLooping"). */
  reason: string;
  /** One line for people; never contains a Secret value (only status fields are read). */
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** How long a Pod may stay unscheduled before it is Failed (kstatus' ScheduleWindow). */
export const SCHEDULE_WINDOW_MS = 15_000;

const current = (message: string, reason = "Current"): Health => ({ status: "Current", reason, message });
const inProgress = (reason: string, message: string): Health => ({ status: "InProgress", reason, message });
const failed = (reason: string, message: string): Health => ({ status: "Failed", reason, message });

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function num(v: unknown, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

function field(obj: Obj, dotted: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const int = (obj: Obj, dotted: string, fallback: number) => num(field(obj, dotted), fallback);

function conditions(obj: Obj): Condition[] {
  const c = obj.status?.conditions;
  return Array.isArray(c) ? c.filter((x): x is Condition => x !== null && typeof x === "object") : [];
}

function generic(obj: Obj): Health | undefined {
  if (obj.metadata.deletionTimestamp) return { status: "Terminating", reason: "Terminating", message: "scheduled for deletion" };
  const generation = obj.metadata.generation;
  const observed = obj.status?.observedGeneration;
  if (typeof generation === "number" && typeof observed === "number" && observed !== generation) {
    return inProgress("LatestGenerationNotObserved", `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`);
  }
  for (const c of conditions(obj)) {
    if (c.type === "Reconciling" && c.status === "True") return inProgress(c.reason ?? "Reconciling", c.message ?? "reconciling");
    if (c.type === "Stalled" && c.status === "True") return failed(c.reason ?? "Stalled", c.message ?? "stalled");
  }
  return undefined;
}

function deployment(obj: Obj): Health {
  // Without progressDeadlineSeconds the controller never sets Progressing (kstatus: treat as progressing).
  let progressing = field(obj, "spec.progressDeadlineSeconds") === undefined;
  let available = false;
  for (const c of conditions(obj)) {
    if (c.type === "Progressing") {
      if (c.reason === "ProgressDeadlineExceeded") return failed("ProgressDeadlineExceeded", c.message ?? "progress deadline exceeded");
      if (c.status === "True" && c.reason === "NewReplicaSetAvailable") progressing = true;
    }
    if (c.type === "Available" && c.status === "True") available = true;
  }
  const spec = int(obj, "spec.replicas", 1);
  const replicas = int(obj, "status.replicas", 0);
  const updated = int(obj, "status.updatedReplicas", 0);
  const ready = int(obj, "status.readyReplicas", 0);
  const avail = int(obj, "status.availableReplicas", 0);
  if (spec > replicas) return inProgress("LessReplicas", `Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress("LessUpdated", `Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress("ExtraPods", `Pending termination: ${replicas - spec}`);
  if (updated > avail) return inProgress("LessAvailable", `Available: ${avail}/${updated}`);
  if (spec > ready) return inProgress("LessReady", `Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress("ReplicaSetNotAvailable", "ReplicaSet not Available");
  if (!available) return inProgress("DeploymentNotAvailable", "Deployment not Available");
  return current(`Deployment is available. Replicas: ${replicas}`);
}

function statefulSet(obj: Obj): Health {
  if (field(obj, "spec.updateStrategy.type") === "OnDelete") return current("StatefulSet is using the OnDelete update strategy");
  const spec = int(obj, "spec.replicas", 1);
  const ready = int(obj, "status.readyReplicas", 0);
  const currentReplicas = int(obj, "status.currentReplicas", 0);
  const updated = int(obj, "status.updatedReplicas", 0);
  const replicas = int(obj, "status.replicas", 0);
  const partition = int(obj, "spec.updateStrategy.rollingUpdate.partition", -1);
  if (spec > replicas) return inProgress("LessReplicas", `Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress("LessReady", `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress("ExtraPods", `Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress("PartitionRollout", `updated: ${updated}/${spec - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > currentReplicas) return inProgress("LessCurrent", `current: ${currentReplicas}/${spec}`);
  if (field(obj, "status.currentRevision") !== field(obj, "status.updateRevision")) {
    return inProgress("RevisionMismatch", "Waiting for updated revision to match current");
  }
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
}

function daemonSet(obj: Obj): Health {
  // The controller always sets observedGeneration once it has seen the object.
  if (typeof obj.metadata.generation !== "number") return inProgress("NoGeneration", "DaemonSet metadata.generation not found");
  if (typeof obj.status?.observedGeneration !== "number") return inProgress("NoObservedGeneration", "DaemonSet status.observedGeneration not found");
  const desired = int(obj, "status.desiredNumberScheduled", -1);
  const cur = int(obj, "status.currentNumberScheduled", 0);
  const updated = int(obj, "status.updatedNumberScheduled", 0);
  const available = int(obj, "status.numberAvailable", 0);
  const ready = int(obj, "status.numberReady", 0);
  if (desired === -1) return inProgress("NoDesiredNumber", "Missing .status.desiredNumberScheduled");
  if (desired > cur) return inProgress("LessCurrent", `Current: ${cur}/${desired}`);
  if (desired > updated) return inProgress("LessUpdated", `Updated: ${updated}/${desired}`);
  if (desired > available) return inProgress("LessAvailable", `Available: ${available}/${desired}`);
  if (desired > ready) return inProgress("LessReady", `Ready: ${ready}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
}

function replicaSet(obj: Obj): Health {
  if (conditions(obj).some((c) => c.type === "ReplicaFailure" && c.status === "True")) {
    return inProgress("ReplicaFailure", "Replica Failure condition. Check Pods");
  }
  const spec = int(obj, "spec.replicas", 1);
  const replicas = int(obj, "status.replicas", 0);
  const ready = int(obj, "status.readyReplicas", 0);
  const available = int(obj, "status.availableReplicas", 0);
  const labelled = int(obj, "status.fullyLabeledReplicas", 0);
  if (spec > labelled) return inProgress("LessLabelled", `Labelled: ${labelled}/${spec}`);
  if (spec > available) return inProgress("LessAvailable", `Available: ${available}/${spec}`);
  if (spec > ready) return inProgress("LessReady", `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress("ExtraPods", `Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
}

function job(obj: Obj): Health {
  const parallelism = int(obj, "spec.parallelism", 1);
  const completions = int(obj, "spec.completions", parallelism);
  const succeeded = int(obj, "status.succeeded", 0);
  const active = int(obj, "status.active", 0);
  const failedPods = int(obj, "status.failed", 0);
  for (const c of conditions(obj)) {
    if (c.type === "Complete" && c.status === "True") return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
    if (c.type === "Failed" && c.status === "True") {
      return failed("JobFailed", `Job Failed. failed: ${failedPods}/${completions}${c.reason ? ` (${c.reason})` : ""}`);
    }
    if (c.type === "Suspended" && c.status === "True" && field(obj, "spec.suspend") === true) return current("Job is suspended");
  }
  if (!field(obj, "status.startTime")) return inProgress("JobNotStarted", "Job not started");
  // kstatus calls a running Job Current; a revision's Job (a migration, a seed) is only done when it
  // completes, so it stays InProgress until then (as Flux's Job health check does).
  return inProgress("JobInProgress", `Job in progress. success: ${succeeded}, active: ${active}, failed: ${failedPods}`);
}

interface ContainerStatus {
  name?: string;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
}

function pod(obj: Obj, now: number): Health {
  const phase = field(obj, "status.phase");
  const conds = conditions(obj);
  switch (phase) {
    case "Succeeded":
      return current("Pod has completed successfully");
    case "Failed":
      return current("Pod has completed, but not successfully");
    case "Running": {
      if (conds.some((c) => c.type === "Ready" && c.status === "True")) return current("Pod is Ready");
      const statuses = (field(obj, "status.containerStatuses") ?? []) as ContainerStatus[];
      const looping = Array.isArray(statuses) ? statuses.filter((s) => s.state?.waiting?.reason === "CrashLoopBackOff").map((s) => s.name) : [];
      if (looping.length > 0) return failed("ContainerCrashLooping", `Containers in CrashLoop state: ${looping.join(",")}`);
      return inProgress("PodRunningNotReady", "Pod is running but is not Ready");
    }
    case "Pending": {
      const sched = conds.find((c) => c.type === "PodScheduled" && c.status === "False");
      if (sched?.reason === "Unschedulable") {
        const created = Date.parse(String(obj.metadata.creationTimestamp ?? ""));
        if (Number.isFinite(created) && now - created < SCHEDULE_WINDOW_MS) return inProgress("PodNotScheduled", "Pod has not been scheduled");
        return failed("PodUnschedulable", `Pod could not be scheduled${sched.message ? `: ${sched.message}` : ""}`);
      }
      return inProgress("PodPending", "Pod is in the Pending phase");
    }
    default:
      return inProgress("PodNotObserved", "Pod phase not available");
  }
}

function pvc(obj: Obj): Health {
  const phase = field(obj, "status.phase") ?? "unknown";
  return phase === "Bound" ? current("PVC is Bound") : inProgress("NotBound", `PVC is not Bound. phase: ${String(phase)}`);
}

function service(obj: Obj): Health {
  if (field(obj, "spec.type") === "LoadBalancer" && !field(obj, "spec.clusterIP")) {
    return inProgress("NoIPAssigned", "ClusterIP not set. Service type: LoadBalancer");
  }
  return current("Service is ready");
}

function crd(obj: Obj): Health {
  for (const c of conditions(obj)) {
    if (c.type === "NamesAccepted" && c.status === "False") return failed(c.reason ?? "NamesNotAccepted", c.message ?? "names not accepted");
    if (c.type === "Established") {
      if (c.status === "False" && c.reason !== "Installing") return failed(c.reason ?? "NotEstablished", c.message ?? "not established");
      if (c.status === "True") return current("CRD is established");
    }
  }
  return inProgress("Installing", "Install in progress");
}

const alwaysReady = () => current("Resource is always ready");

/** The kind's own rules, keyed "group/Kind" ("" for the core group). */
const RULES: Record<string, (obj: Obj, now: number) => Health> = {
  "/Service": service,
  "/Pod": pod,
  "/Secret": alwaysReady,
  "/ConfigMap": alwaysReady,
  "/PersistentVolumeClaim": pvc,
  "apps/StatefulSet": statefulSet,
  "apps/DaemonSet": daemonSet,
  "apps/Deployment": deployment,
  "apps/ReplicaSet": replicaSet,
  "policy/PodDisruptionBudget": () => current("AllowedDisruptions has been computed."),
  "batch/CronJob": alwaysReady,
  "batch/Job": job,
  "apiextensions.k8s.io/CustomResourceDefinition": crd,
};

function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? "";
  return v.includes("/") ? v.slice(0, v.indexOf("/")) : "";
}

/** The health of `obj` (as read from the API server, status included). */
export function objectHealth(obj: KubeObject, now = Date.now()): Health {
  const o = obj as Obj;
  const g = generic(o);
  if (g) return g;
  const rule = RULES[`${groupOf(o.apiVersion)}/${o.kind}`];
  if (rule) return rule(o, now);
  const ready = conditions(o).find((c) => c.type === "Ready");
  if (ready?.status === "True") return current("Resource is Ready");
  if (ready?.status === "False" || ready?.status === "Unknown") return inProgress(ready.reason ?? "NotReady", ready.message ?? "not Ready");
  return current("Resource is current");
}
