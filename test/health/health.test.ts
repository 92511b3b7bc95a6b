/**
 * kstatus rules, one table row per case a user meets: what an object reports decides whether a revision
 * is Ready, still rolling out, or broken. Objects are written as the API server returns them.
 */
import { describe, expect, it } from "@jest/globals";
import type { KubeObject } from "../../src/kube/client.js";
import { objectHealth, type HealthStatus } from "../../src/reconcile/health.js";
import { RevisionHealth } from "../../src/reconcile/revision-health.js";

const NOW = Date.parse("2026-12-01T07:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function obj(apiVersion: string, kind: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion, kind, metadata: { name: "x", generation: 1, ...meta }, ...rest } as KubeObject;
}
const deploy = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
  obj("apps/v1", "Deployment", { spec: { replicas: 2, progressDeadlineSeconds: 600, ...spec }, status }, meta);
const availableDeployment = {
  observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2,
  conditions: [
    { type: "Available", status: "True" },
    { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
  ],
};
const pod = (status: Record<string, unknown>, meta: Record<string, unknown> = {}) => obj("v1", "Pod", { status }, { generation: undefined, ...meta });

const cases: [string, KubeObject, HealthStatus, string][] = [
  // generic rules first
  ["an object being deleted", deploy(availableDeployment, {}, { deletionTimestamp: ago(1000) }), "Terminating", "Terminating"],
  ["a spec change the controller has not seen", deploy(availableDeployment, {}, { generation: 2 }), "InProgress", "LatestGenerationNotObserved"],
  ["a custom resource Stalled", obj("example.com/v1", "Widget", { status: { conditions: [{ type: "Stalled", status: "True", reason: "BadConfig", message: "no" }] } }), "Failed", "BadConfig"],
  ["a custom resource Reconciling", obj("example.com/v1", "Widget", { status: { conditions: [{ type: "Reconciling", status: "True", reason: "Working" }] } }), "InProgress", "Working"],
  ["a custom resource Ready=False", obj("example.com/v1", "Widget", { status: { conditions: [{ type: "Ready", status: "False", reason: "Waiting" }] } }), "InProgress", "Waiting"],
  ["a custom resource without conditions", obj("example.com/v1", "Widget"), "Current", "Current"],
  // Deployment
  ["a Deployment just created (no status yet)", deploy({}), "InProgress", "LessReplicas"],
  ["a Deployment whose new pods are not available", deploy({ ...availableDeployment, availableReplicas: 1, readyReplicas: 1 }), "InProgress", "LessAvailable"],
  ["a Deployment still replacing pods", deploy({ ...availableDeployment, updatedReplicas: 1 }), "InProgress", "LessUpdated"],
  ["a Deployment with old pods terminating", deploy({ ...availableDeployment, replicas: 3 }), "InProgress", "ExtraPods"],
  ["a Deployment past its progress deadline", deploy({ ...availableDeployment, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "ReplicaSet web-1 has timed out progressing." }] }), "Failed", "ProgressDeadlineExceeded"],
  ["an available Deployment", deploy(availableDeployment), "Current", "Current"],
  // StatefulSet, DaemonSet, ReplicaSet
  ["a StatefulSet mid-rollout", obj("apps/v1", "StatefulSet", { spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 1, currentRevision: "a", updateRevision: "b" } }), "InProgress", "RevisionMismatch"],
  ["a rolled-out StatefulSet", obj("apps/v1", "StatefulSet", { spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 2, currentReplicas: 2, updatedReplicas: 2, currentRevision: "b", updateRevision: "b" } }), "Current", "Current"],
  ["a DaemonSet not yet observed", obj("apps/v1", "DaemonSet", { status: {} }), "InProgress", "NoObservedGeneration"],
  ["a DaemonSet with a pod not ready", obj("apps/v1", "DaemonSet", { status: { observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 2 } }), "InProgress", "LessReady"],
  ["a ReplicaSet that cannot create pods", obj("apps/v1", "ReplicaSet", { spec: { replicas: 1 }, status: { conditions: [{ type: "ReplicaFailure", status: "True" }] } }), "InProgress", "ReplicaFailure"],
  // Job
  ["a Job not started", obj("batch/v1", "Job", { spec: {}, status: {} }), "InProgress", "JobNotStarted"],
  ["a running Job (done only when complete)", obj("batch/v1", "Job", { spec: {}, status: { startTime: ago(5000), active: 1 } }), "InProgress", "JobInProgress"],
  ["a failed Job", obj("batch/v1", "Job", { spec: {}, status: { startTime: ago(5000), failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] } }), "Failed", "JobFailed"],
  ["a completed Job", obj("batch/v1", "Job", { spec: {}, status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } }), "Current", "Current"],
  // Pod
  ["a crash-looping Pod", pod({ phase: "Running", conditions: [{ type: "Ready", status: "False" }], containerStatuses: [{ name: "app", state: { waiting: { reason: "CrashLoopBackOff" } } }] }), "Failed", "ContainerCrashLooping"],
  ["a running Pod that never turns Ready", pod({ phase: "Running", conditions: [{ type: "Ready", status: "False" }], containerStatuses: [{ name: "app", state: { running: {} } }] }), "InProgress", "PodRunningNotReady"],
  ["a Pod unschedulable for 20 s", pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available" }] }, { creationTimestamp: ago(20_000) }), "Failed", "PodUnschedulable"],
  ["a Pod unschedulable for 5 s (may still fit)", pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] }, { creationTimestamp: ago(5_000) }), "InProgress", "PodNotScheduled"],
  ["a Pod that completed", pod({ phase: "Succeeded" }), "Current", "Current"],
  // PVC, Service, CRD, config
  ["a PVC waiting for a volume", obj("v1", "PersistentVolumeClaim", { status: { phase: "Pending" } }), "InProgress", "NotBound"],
  ["a bound PVC", obj("v1", "PersistentVolumeClaim", { status: { phase: "Bound" } }), "Current", "Current"],
  ["a LoadBalancer Service without a cluster IP", obj("v1", "Service", { spec: { type: "LoadBalancer" } }), "InProgress", "NoIPAssigned"],
  ["a ClusterIP Service", obj("v1", "Service", { spec: { clusterIP: "10.0.0.7" } }), "Current", "Current"],
  ["a CRD whose names clash", obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", { status: { conditions: [{ type: "NamesAccepted", status: "False", reason: "MultipleNamesNotAllowed", message: "clash" }] } }), "Failed", "MultipleNamesNotAllowed"],
  ["a CRD being installed", obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", { status: { conditions: [{ type: "Established", status: "False", reason: "Installing" }] } }), "InProgress", "Installing"],
  ["a Secret", obj("v1", "Secret", { data: {} }, { generation: undefined }), "Current", "Current"],
];

describe("objectHealth (kstatus rules)", () => {
  it.each(cases)("%s", (_what, o, status, reason) => {
    const h = objectHealth(o, NOW);
    expect({ status: h.status, reason: h.reason }).toEqual({ status, reason });
    expect(h.message.length).toBeGreaterThan(0);
  });
});

describe("RevisionHealth", () => {
  const refs = [{ group: "apps", kind: "Deployment", name: "web" }, { group: "", kind: "Secret", name: "creds" }];
  const web = (status: Record<string, unknown>) => ({ ...deploy(status, { selector: { matchLabels: { app: "web" } } }), metadata: { name: "web", generation: 1 } }) as KubeObject;
  const creds = { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" } } as KubeObject;

  it("is Progressing until every object is Current, then Ready", () => {
    const h = new RevisionHealth("abc", refs, NOW + 60_000, NOW);
    expect(h.evaluate(NOW).phase).toBe("Progressing");
    h.observe("", creds);
    h.observe("apps", web({}));
    expect(h.evaluate(NOW).phase).toBe("Progressing");
    h.observe("apps", web(availableDeployment));
    const r = h.evaluate(NOW + 1000);
    expect(r.phase).toBe("Ready");
    expect(r.failing).toEqual([]);
  });

  it("is Degraded with the pod's reason as soon as a workload's pod crash-loops", () => {
    const h = new RevisionHealth("abc", refs, NOW + 60_000, NOW);
    h.observe("", creds);
    h.observe("apps", web({ observedGeneration: 1, replicas: 2, updatedReplicas: 2 }));
    h.observePod({ ...pod({ phase: "Running", containerStatuses: [{ name: "app", state: { waiting: { reason: "CrashLoopBackOff" } } }] }), metadata: { name: "web-1-a", labels: { app: "web" } } } as KubeObject);
    h.observePod({ ...pod({ phase: "Running", containerStatuses: [{ name: "x", state: { waiting: { reason: "CrashLoopBackOff" } } }] }), metadata: { name: "other-1", labels: { app: "other" } } } as KubeObject);
    const r = h.evaluate(NOW);
    expect(r.phase).toBe("Degraded");
    expect(r.reason).toBe("Failed");
    expect(r.failing.map((o) => [o.kind, o.name, o.reason, o.message])).toEqual([
      ["Deployment", "web", "ContainerCrashLooping", "pod web-1-a: Containers in CrashLoop state: app (Available: 0/2)"],
    ]);
  });

  it("is Degraded by the deadline with every object that is not Current, and stays so", () => {
    const h = new RevisionHealth("abc", refs, NOW + 60_000, NOW);
    h.observe("", creds);
    h.observe("apps", web({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }));
    expect(h.evaluate(NOW + 59_999).phase).toBe("Progressing");
    const r = h.evaluate(NOW + 60_000);
    expect([r.phase, r.reason, r.failing.map((o) => `${o.kind}/${o.name}: ${o.reason}`)]).toEqual(["Degraded", "HealthTimeout", ["Deployment/web: LessReady"]]);
    h.observe("apps", web(availableDeployment));
    expect(h.evaluate(NOW + 61_000).phase).toBe("Degraded");
  });
});
