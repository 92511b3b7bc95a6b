/**
 * The key of the kustomize placeholders (an HMAC key): a Secret of the managed namespace, created on
 * first use. It lives in the cluster, next to what it protects, so placeholders (and so generator name
 * suffixes) stay the same across restarts and replicas, and a reader of Git or of the build room cannot
 * recompute them to guess a value. It is not an ApplySet member: prune never touches it.
 */
import { randomBytes } from "node:crypto";
import type { KubeClient, KubeObject } from "./client.js";

const DATA_KEY = "hmac-key";

export function placeholderKeyName(applySetName: string): string {
  return `${applySetName}-kustomize-key`;
}

/**
 * Reads the key; when it is missing, creates it, unless `create` is false (a plan changes nothing): then an
 * ephemeral key is used, and generated names in that plan differ from what a sync would apply.
 */
export async function loadPlaceholderKey(client: KubeClient, namespace: string, name: string, opts: { create: boolean }): Promise<Uint8Array> {
  const url = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const read = async () => {
    const res = await client.request<KubeObject>("GET", `${url}/${encodeURIComponent(name)}`, { allow: [404] });
    const data = res.status === 404 ? undefined : (res.body.data as Record<string, string> | undefined)?.[DATA_KEY];
    return data ? Buffer.from(data, "base64") : undefined;
  };
  const existing = await read();
  if (existing && existing.length >= 32) return existing;
  const fresh = randomBytes(32);
  if (!opts.create) return fresh;
  const res = await client.request("POST", url, {
    allow: [409],
    body: {
      apiVersion: "v1", kind: "Secret", type: "Opaque",
      metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "sealsync" } },
      data: { [DATA_KEY]: fresh.toString("base64") },
    },
  });
  if (res.status !== 409) return fresh;
  // Another replica created it first: use theirs.
  const theirs = await read();
  if (!theirs) throw new Error(`Secret ${namespace}/${name} exists without a usable ${DATA_KEY}; delete it so sealsync can create it`);
  return theirs;
}
