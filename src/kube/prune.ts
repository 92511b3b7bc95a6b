/**
 * Listing and deleting ApplySet members, in one namespace only. Only objects that carry our part-of
 * label are ever listed (the caller prunes only those its inventory names), and a delete is conditioned
 * on the UID we saw, so an object re-created meanwhile is not deleted.
 */
import type { KubeClient, KubeObject } from "./client.js";
import { Discovery, type ResourceInfo } from "./discovery.js";
import { LABEL_PART_OF } from "./applyset.js";

/** A list or delete path without the namespace would reach the whole cluster: never build one. */
function namespacedPath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  if (!info.namespaced || !namespace) {
    throw new Error(`refusing to list or delete ${info.kind}.${info.group || "core"} outside a namespace (sealsync only manages its own namespace)`);
  }
  return Discovery.path(info, namespace, name);
}

/** The members of one kind, and the list's resourceVersion (a watch started there misses nothing). */
export async function listMembers(client: KubeClient, info: ResourceInfo, namespace: string, setId: string): Promise<{ items: KubeObject[]; resourceVersion: string }> {
  const res = await client.request<{ items: KubeObject[]; metadata: { resourceVersion: string } }>("GET", namespacedPath(info, namespace), {
    query: { labelSelector: `${LABEL_PART_OF}=${setId}` },
  });
  // List items omit apiVersion/kind.
  return { items: res.body.items.map((o) => ({ ...o, apiVersion: info.apiVersion, kind: info.kind })), resourceVersion: res.body.metadata.resourceVersion };
}

export async function deleteMember(client: KubeClient, info: ResourceInfo, obj: KubeObject): Promise<"deleted" | "gone"> {
  const res = await client.request("DELETE", namespacedPath(info, obj.metadata.namespace, obj.metadata.name), {
    body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background", preconditions: { uid: obj.metadata.uid } },
    allow: [404, 409],
  });
  return res.status === 404 || res.status === 409 ? "gone" : "deleted";
}
