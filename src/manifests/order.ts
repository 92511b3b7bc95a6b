/**
 * Apply order, as data: a staged order like Flux's — identities and config before the workloads that
 * mount them, workloads before what scales or exposes them, custom resources last. Prune runs in
 * reverse. Within a stage, objects sort by kind then name, so the order is deterministic.
 */
const STAGES: string[][] = [
  ["ServiceAccount", "Role", "RoleBinding", "LimitRange", "ResourceQuota", "NetworkPolicy"],
  ["Secret", "ConfigMap", "PersistentVolumeClaim"],
  ["Service", "Endpoints", "EndpointSlice"],
  ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod", "Job", "CronJob"],
  ["HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"],
];
const stageIndex = new Map(STAGES.flatMap((kinds, stage) => kinds.map((k) => [k, stage] as const)));
const LAST = STAGES.length;

/** The stage of a kind: objects of one stage may be applied together; stages go in order. */
export function stageOf(kind: string): number {
  return stageIndex.get(kind) ?? LAST;
}

export interface Orderable {
  kind: string;
  name: string;
}

export function applyOrder<T>(items: T[], key: (t: T) => Orderable): T[] {
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const sa = stageOf(ka.kind);
    const sb = stageOf(kb.kind);
    if (sa !== sb) return sa - sb;
    if (ka.kind !== kb.kind) return ka.kind < kb.kind ? -1 : 1;
    return ka.name < kb.name ? -1 : ka.name > kb.name ? 1 : 0;
  });
}

export function pruneOrder<T>(items: T[], key: (t: T) => Orderable): T[] {
  return applyOrder(items, key).reverse();
}
