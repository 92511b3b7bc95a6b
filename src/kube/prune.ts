/**
 * Listing and deleting ApplySet members. Only objects that carry our part-of label are ever listed,
 * and a delete is conditioned on the UID we saw, so an object re-created meanwhile is not deleted.
 */
import type { KubeClient, KubeObject } from "./client.js";
import { Discovery, type ResourceInfo } from "./discovery.js";
import { LABEL_PART_OF } from "./applyset.js";

export async function listMembers(client: KubeClient, info: ResourceInfo, namespace: string, setId: string): Promise<KubeObject[]> {
  const res = await client.request<{ items: KubeObject[] }>("GET", Discovery.path(info, namespace), {
    query: { labelSelector: `${LABEL_PART_OF}=${setId}` },
  });
  // List items omit apiVersion/kind.
  return res.body.items.map((o) => ({ ...o, apiVersion: info.apiVersion, kind: info.kind }));
}

export async function deleteMember(client: KubeClient, info: ResourceInfo, obj: KubeObject): Promise<"deleted" | "gone"> {
  const res = await client.request("DELETE", Discovery.path(info, obj.metadata.namespace, obj.metadata.name), {
    body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background", preconditions: { uid: obj.metadata.uid } },
    allow: [404, 409],
  });
  return res.status === 404 || res.status === 409 ? "gone" : "deleted";
}
