/** Shared set-up for the kube/ building-block tests: a namespace, namespaced users, polling. */
import { CoordinationV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { adminKubeConfig, createNamespacedUser } from "../env/kube.js";

/** A client acting as a ServiceAccount `name` with only the namespaced Role. */
export async function namespacedClient(namespace: string, name = "sealsync"): Promise<KubeClient> {
  const user = await createNamespacedUser(namespace, undefined, name);
  return new KubeClient(loadKubeConfig(user.kubeconfig));
}

/** Removes the user's RoleBinding: from then on its requests are refused (403). */
export async function revokeAccess(namespace: string, name: string): Promise<void> {
  await adminKubeConfig().makeApiClient(RbacAuthorizationV1Api).deleteNamespacedRoleBinding({ name, namespace });
}

export async function readLease(namespace: string, name: string) {
  return adminKubeConfig().makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });
}

/** Polls `cond` until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { setTimeout as sleep } from "node:timers/promises";
