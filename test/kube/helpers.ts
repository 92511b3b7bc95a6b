/** Shared set-up for the kube/ building-block tests: a namespace, namespaced users, polling. */
import { AuthorizationV1Api, CoordinationV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { adminKubeConfig, createNamespacedUser } from "../env/kube.js";

/** A client acting as a ServiceAccount `name` with only the namespaced Role. */
export async function namespacedClient(namespace: string, name = "sealsync"): Promise<KubeClient> {
  const user = await createNamespacedUser(namespace, undefined, name);
  return new KubeClient(loadKubeConfig(user.kubeconfig));
}

/**
 * Removes the user's RoleBinding and returns once the apiserver's authorizer (fed by an informer, so a
 * moment behind) refuses it: from then on its requests get 403.
 */
export async function revokeAccess(namespace: string, name: string): Promise<void> {
  const kc = adminKubeConfig();
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  // Ask about something the Role (named like the user) grants, so "refused" can only mean "revoked".
  const rule = (await rbac.readNamespacedRole({ name, namespace })).rules?.[0];
  await rbac.deleteNamespacedRoleBinding({ name, namespace });
  const reviews = kc.makeApiClient(AuthorizationV1Api);
  const resourceAttributes = { namespace, verb: rule?.verbs[0], group: rule?.apiGroups?.[0], resource: rule?.resources?.[0] };
  await waitFor(`the RoleBinding ${namespace}/${name} to stop authorizing`, async () => {
    const review = await reviews.createSubjectAccessReview({
      body: { spec: { user: `system:serviceaccount:${namespace}:${name}`, resourceAttributes } },
    });
    return review.status?.allowed === false;
  });
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
