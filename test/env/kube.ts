/** Worker-side helpers for the shared control plane: admin client, a namespace per test, a least-privilege user. */
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, type V1PolicyRule } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { writeKubeconfig, type ControlPlaneInfo } from "./control-plane.js";
import { testEnvState } from "./state.js";

/** The admin client of the jest run's control plane, or of the kubeconfig `file` (the demo's own control plane). */
export function adminKubeConfig(file = testEnvState().controlPlane.adminKubeconfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** A fresh namespace with a unique name starting with `prefix`. */
export async function createNamespace(prefix = "t"): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`.toLowerCase().slice(0, 63);
  await adminKubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Rights of the sidecar in production: everything, but only inside its namespace (a Role cannot reach further). */
export const NAMESPACE_ADMIN_RULES: V1PolicyRule[] = [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }];

export interface NamespacedUser {
  namespace: string;
  serviceAccount: string;
  token: string;
  kubeconfig: string;
}

/**
 * A ServiceAccount in `namespace` whose only rights are a Role with `rules`, and a kubeconfig holding a
 * real token for it (TokenRequest API), as the sidecar would have from its projected token.
 * `controlPlane` defaults to the jest run's; the demo passes the one it started itself.
 */
export async function createNamespacedUser(namespace: string, rules: V1PolicyRule[] = NAMESPACE_ADMIN_RULES,
  name = "sealsync", controlPlane: ControlPlaneInfo = testEnvState().controlPlane): Promise<NamespacedUser> {
  const kc = adminKubeConfig(controlPlane.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  const { server, caFile, dataDir } = controlPlane;
  const kubeconfig = writeKubeconfig(path.join(dataDir, `${namespace}-${name}.kubeconfig`), server, caFile,
    `system:serviceaccount:${namespace}:${name}`, token, namespace);
  return { namespace, serviceAccount: name, token, kubeconfig };
}

/**
 * A namespaced custom resource `Widget` (widgets.<group>/v1) with the given schema for `spec`, created
 * and then waited for until it is served (the first requests after Established may still see "storage
 * is (re)initializing").
 */
export async function createWidgetCrd(group: string, specSchema: Record<string, unknown>, namespace: string): Promise<void> {
  const kc = adminKubeConfig();
  await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({
    body: {
      metadata: { name: `widgets.${group}` },
      spec: {
        group, scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: specSchema } } } }],
      },
    },
  });
  const objects = kc.makeApiClient(CustomObjectsApi);
  for (const deadline = Date.now() + 30_000; ;) {
    const served = await objects.listNamespacedCustomObject({ group, version: "v1", namespace, plural: "widgets" }).then(() => true, () => false);
    if (served) return;
    if (Date.now() > deadline) throw new Error(`widgets.${group} was not served within 30 s`);
    await sleep(100);
  }
}
