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
  lastError?: string;
  managedObjects?: number;
  /** --verify: the mode and the signer fingerprint(s) of the applied revision. */
  verification?: { mode: string; signer: string };
  time: string;
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
