/**
 * The status summary for humans and machines, kept as one JSON annotation on the ApplySet parent
 * (`kubectl get secret sealsync -o jsonpath='{.metadata.annotations.sealsync\.dev/status}'`), written by
 * its own field manager so inventory updates and status updates never overwrite each other. kstatus
 * vocabulary: Ready, Reconciling, Stalled. Written only when it changed (not on every idle pass).
 */
import type { KubeClient } from "../kube/client.js";

export const STATUS_ANNOTATION = "sealsync.dev/status";
const STATUS_MANAGER = "sealsync-status";

export interface DaemonStatus {
  phase: "Ready" | "Reconciling" | "Stalled";
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  /** Of the last attempted revision: "Name <email>" and the commit subject. */
  author?: string;
  subject?: string;
  lastError?: string;
  managedObjects?: number;
  /** The health of the applied revision (src/reconcile/revision-health.ts), objects capped at MAX_OBJECTS. */
  health?: StatusHealth;
  /** The newest revision that became Ready. */
  lastHealthyRevision?: string;
  /** Documents of the last attempted revision that failed to decrypt, with the reason (never a value). */
  failingDocuments?: FailingDocument[];
  /** --verify: the mode and the signer fingerprint(s) of the applied revision. */
  verification?: { mode: string; signer: string };
  time: string;
}

export interface StatusHealth {
  revision: string;
  phase: "Progressing" | "Ready" | "Degraded";
  reason?: string;
  since: string;
  finishedAt?: string;
  objects: { kind: string; name: string; status: string; reason: string; message: string }[];
}

export interface FailingDocument {
  file: string;
  document: number;
  object?: string;
  reason: string;
}

/** Objects listed in the status annotation at most (annotations share a 256 KiB budget). */
export const MAX_OBJECTS = 200;

/** Reads the status annotation of the parent Secret (undefined when there is none yet). */
export async function readStatus(client: KubeClient, namespace: string, parentName: string): Promise<DaemonStatus | undefined> {
  const res = await client.request<{ metadata?: { annotations?: Record<string, string> } }>("GET",
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(parentName)}`, { allow: [404] });
  const text = res.status === 200 ? res.body.metadata?.annotations?.[STATUS_ANNOTATION] : undefined;
  if (!text) return undefined;
  return JSON.parse(text) as DaemonStatus;
}

const lastWritten = new Map<string, string>();

export async function writeStatus(client: KubeClient, namespace: string, parentName: string, status: DaemonStatus): Promise<void> {
  const key = `${namespace}/${parentName}`;
  const { time: _t, ...content } = status;
  const fingerprint = JSON.stringify(content);
  if (lastWritten.get(key) === fingerprint) return;
  await client.request("PATCH", `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(parentName)}`, {
    body: { apiVersion: "v1", kind: "Secret", metadata: { name: parentName, namespace, annotations: { [STATUS_ANNOTATION]: JSON.stringify(status) } } },
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: STATUS_MANAGER, force: "true" },
  });
  lastWritten.set(key, fingerprint);
}
