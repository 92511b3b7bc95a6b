/**
 * The deploy/ Role is no more than the sidecar needs: bound to a ServiceAccount with a real token, it can
 * do each verb it lists on each resource in its namespace — and nothing else: no other verb, no other
 * namespace, no cluster-scoped object, no way to grant itself more. Requests are real API calls; the
 * API server's RBAC authorizer decides.
 */
import { beforeAll, describe, expect, test } from "@jest/globals";
import type { V1PolicyRule } from "@kubernetes/client-node";
import { createDeployRoleUser, deployRoleRules } from "../env/deploy-role.js";
import { createNamespace } from "../env/kube.js";
import { apiAs, type ApiResult } from "./api.js";
import { DEPLOY_DIR, kustomize, only, type K8sObject } from "./helpers.js";

/** Every verb RBAC knows for a resource collection and its objects. */
const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

interface Resource {
  apiVersion: string;
  kind: string;
  /** A valid object to create, named `name`. */
  sample(name: string, namespace: string): Record<string, unknown>;
}

/** How to make each resource the Role names; a resource added to the Role must be added here too. */
const RESOURCES: Record<string, Resource> = {
  "configmaps": { apiVersion: "v1", kind: "ConfigMap", sample: () => ({ data: { greeting: "hello" } }) },
  "secrets": { apiVersion: "v1", kind: "Secret", sample: () => ({ type: "Opaque", data: { token: "dGVzdA==" } }) },
  "services": { apiVersion: "v1", kind: "Service", sample: () => ({ spec: { selector: { app: "x" }, ports: [{ port: 80 }] } }) },
  "apps/deployments": {
    apiVersion: "apps/v1",
    kind: "Deployment",
    sample: () => ({
      spec: {
        selector: { matchLabels: { app: "x" } },
        template: { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "x", image: "registry.k8s.io/pause:3.10" }] } },
      },
    }),
  },
  "coordination.k8s.io/leases": {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    sample: () => ({ spec: { holderIdentity: "replica-1", leaseDurationSeconds: 15 } }),
  },
  "events": {
    apiVersion: "v1",
    kind: "Event",
    sample: (name, namespace) => ({
      involvedObject: { apiVersion: "v1", kind: "ConfigMap", name: "app-config", namespace },
      reason: "Applied",
      message: `${name}: created`,
      type: "Normal",
      source: { component: "sealsync" },
    }),
  },
};

const collectionPath = (r: Resource, resource: string, namespace: string) =>
  `${r.apiVersion.includes("/") ? `/apis/${r.apiVersion}` : "/api/v1"}/namespaces/${namespace}/${resource}`;

/** The Role's rules as (resource key, plural, verbs) — one entry per resource. */
function grants(rules: V1PolicyRule[]): { key: string; plural: string; verbs: string[] }[] {
  const out: { key: string; plural: string; verbs: string[] }[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const plural of rule.resources ?? []) out.push({ key: group ? `${group}/${plural}` : plural, plural, verbs: rule.verbs });
    }
  }
  return out;
}

let namespace: string;
let otherNamespace: string;
let api: ReturnType<typeof apiAs>;

beforeAll(async () => {
  [namespace, otherNamespace] = [await createNamespace("role"), await createNamespace("role-other")];
  const user = await createDeployRoleUser(namespace);
  api = apiAs(user.token);
});

/** One API call as the sidecar's ServiceAccount (its real token): the HTTP status and body. */
function call(method: string, path: string, body?: unknown, contentType?: string, query?: Record<string, string>): Promise<ApiResult> {
  return api(method, path, { body, contentType, query });
}

describe("deploy/ RBAC", () => {
  test("is one namespaced Role bound to the sidecar's ServiceAccount: no ClusterRole, no ClusterRoleBinding", async () => {
    const objects = await kustomize(DEPLOY_DIR);
    expect(objects.filter((o) => o.kind.startsWith("Cluster"))).toEqual([]);
    const role = only(objects, "Role");
    const binding = only(objects, "RoleBinding") as K8sObject & { roleRef: object; subjects: object[] };
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "sealsync", namespace: "sealsync-demo" }]);
    // The test user gets the very rules kustomize renders.
    expect((role as unknown as { rules: V1PolicyRule[] }).rules).toEqual(deployRoleRules());
    for (const { key } of grants(deployRoleRules())) expect([key, key in RESOURCES]).toEqual([key, true]);
    // What the daemon was agreed to need; widening the Role is a decision, so it must change this line too.
    const manage = ["create", "delete", "get", "list", "patch", "update", "watch"];
    expect(Object.fromEntries(grants(deployRoleRules()).map((g) => [g.key, [...g.verbs].sort()]))).toEqual({
      "configmaps": manage, "services": manage, "secrets": manage, "apps/deployments": manage,
      "coordination.k8s.io/leases": ["create", "get", "update"],
      "events": ["create", "patch"],
    });
  });

  test("can do each verb it lists, on each resource, in its own namespace", async () => {
    for (const { key, plural, verbs } of grants(deployRoleRules())) {
      const r = RESOURCES[key]!;
      const collection = collectionPath(r, plural, namespace);
      const name = `probe-${plural}`;
      const object = { apiVersion: r.apiVersion, kind: r.kind, metadata: { name, namespace }, ...r.sample(name, namespace) };
      const done: string[] = [];
      const expectOk = (verb: string, status: number) => {
        expect(`${key} ${verb}: HTTP ${status}`).toBe(`${key} ${verb}: HTTP ${status < 300 ? status : "2xx"}`);
        done.push(verb);
      };

      let live: Record<string, unknown> | undefined;
      if (verbs.includes("create")) {
        const res = await call("POST", collection, object);
        expectOk("create", res.status);
        live = res.body;
        if (verbs.includes("patch")) {
          // How the sidecar creates and updates: server-side apply, which needs create and patch.
          const applied = { ...object, metadata: { ...object.metadata, name: `${name}-ssa` } };
          const ssa = await call("PATCH", `${collection}/${name}-ssa`, applied, "application/apply-patch+yaml",
            { fieldManager: "sealsync", force: "true" });
          expect(`${key} server-side apply: HTTP ${ssa.status}`).toBe(`${key} server-side apply: HTTP 201`);
        }
      }
      if (verbs.includes("get")) {
        const res = await call("GET", `${collection}/${name}`);
        expectOk("get", res.status);
        live = res.body;
      }
      if (verbs.includes("list")) expectOk("list", (await call("GET", collection)).status);
      if (verbs.includes("watch")) {
        expectOk("watch", (await call("GET", collection, undefined, undefined, { watch: "true", timeoutSeconds: "1" })).status);
      }
      if (verbs.includes("patch")) {
        const patch = { metadata: { labels: { patched: "yes" } } };
        const res = await call("PATCH", `${collection}/${name}`, patch, "application/merge-patch+json");
        expectOk("patch", res.status);
        live = res.body; // Its resourceVersion is the one an update must name.
      }
      if (verbs.includes("update")) {
        const meta = (live?.metadata ?? {}) as { resourceVersion?: string };
        const updated = { ...object, metadata: { ...object.metadata, resourceVersion: meta.resourceVersion, labels: { updated: "yes" } } };
        expectOk("update", (await call("PUT", `${collection}/${name}`, updated)).status);
      }
      if (verbs.includes("delete")) expectOk("delete", (await call("DELETE", `${collection}/${name}`)).status);
      expect([key, done.sort()]).toEqual([key, [...verbs].sort()]);
    }
  });

  test("is refused every verb it does not list (HTTP 403)", async () => {
    for (const { key, plural, verbs } of grants(deployRoleRules())) {
      const r = RESOURCES[key]!;
      const collection = collectionPath(r, plural, namespace);
      const object = { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: "denied", namespace }, ...r.sample("denied", namespace) };
      const attempts: Record<string, () => ReturnType<typeof call>> = {
        get: () => call("GET", `${collection}/denied`),
        list: () => call("GET", collection),
        watch: () => call("GET", collection, undefined, undefined, { watch: "true", timeoutSeconds: "1" }),
        create: () => call("POST", collection, object),
        update: () => call("PUT", `${collection}/denied`, object),
        patch: () => call("PATCH", `${collection}/denied`, { metadata: { labels: { a: "b" } } }, "application/merge-patch+json"),
        delete: () => call("DELETE", `${collection}/denied`),
        deletecollection: () => call("DELETE", collection),
      };
      for (const verb of ALL_VERBS.filter((v) => !verbs.includes(v))) {
        expect(`${key} ${verb}: HTTP ${(await attempts[verb]!()).status}`).toBe(`${key} ${verb}: HTTP 403`);
      }
    }
  });

  test("cannot read or write anything in another namespace", async () => {
    for (const { key, plural } of grants(deployRoleRules())) {
      const r = RESOURCES[key]!;
      const collection = collectionPath(r, plural, otherNamespace);
      const object = { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: "escape", namespace: otherNamespace }, ...r.sample("escape", otherNamespace) };
      const results = {
        create: (await call("POST", collection, object)).status,
        apply: (await call("PATCH", `${collection}/escape`, object, "application/apply-patch+yaml", { fieldManager: "sealsync" })).status,
        list: (await call("GET", collection)).status,
        get: (await call("GET", `${collection}/escape`)).status,
        delete: (await call("DELETE", `${collection}/escape`)).status,
      };
      expect([key, results]).toEqual([key, { create: 403, apply: 403, list: 403, get: 403, delete: 403 }]);
    }
  });

  test("cannot create cluster-scoped objects, nor grant itself more rights", async () => {
    const attempts: [string, string, Record<string, unknown>][] = [
      ["Namespace", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: `${namespace}-x` } }],
      ["ClusterRole", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: `${namespace}-x` }, rules: [] }],
      ["ClusterRoleBinding", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: `${namespace}-x` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: "sealsync", namespace }],
      }],
      ["PersistentVolume", "/api/v1/persistentvolumes", {
        apiVersion: "v1", kind: "PersistentVolume", metadata: { name: `${namespace}-x` },
        spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/" } },
      }],
      ["CustomResourceDefinition", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "things.example.com" } }],
      // Inside its own namespace, too: no RBAC objects (it could bind itself more) and no Pods.
      ["Role", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`,
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "more" }, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] }],
      ["RoleBinding", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
        apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "more" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
        subjects: [{ kind: "ServiceAccount", name: "sealsync", namespace }],
      }],
      ["Pod", `/api/v1/namespaces/${namespace}/pods`,
        { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "x", image: "registry.k8s.io/pause:3.10" }] } }],
    ];
    for (const [kind, path, body] of attempts) {
      expect(`create ${kind}: HTTP ${(await call("POST", path, body)).status}`).toBe(`create ${kind}: HTTP 403`);
    }
    const roleStatus = (await call("PATCH", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/sealsync`,
      { rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] }, "application/merge-patch+json")).status;
    expect(`patch its own Role: HTTP ${roleStatus}`).toBe("patch its own Role: HTTP 403");
    for (const path of ["/api/v1/namespaces", "/api/v1/nodes", "/apis/rbac.authorization.k8s.io/v1/clusterroles"]) {
      expect(`list ${path}: HTTP ${(await call("GET", path)).status}`).toBe(`list ${path}: HTTP 403`);
    }
    // Discovery stays open to it (system:discovery), which is how it maps kinds to resources.
    expect((await call("GET", "/apis/apps/v1")).status).toBe(200);
  });
});
