/**
 * The deploy/ Role as a test user: e2e tests run the daemon with exactly the rights `kubectl apply -k
 * deploy/` grants the sidecar, so the Role is proven sufficient (and test/deploy/role.test.ts proves it
 * is no more than that).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { V1PolicyRule } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "./assets.js";
import type { ControlPlaneInfo } from "./control-plane.js";
import { createNamespacedUser, type NamespacedUser } from "./kube.js";

export const DEPLOY_ROLE_FILE = path.join(repoRoot, "deploy/role.yaml");

/** The rules of the Role in deploy/role.yaml, as written there. */
export function deployRoleRules(): V1PolicyRule[] {
  const docs = parseAllDocuments(readFileSync(DEPLOY_ROLE_FILE, "utf8")).map((d) => d.toJS() as unknown);
  const roles = docs.filter((d): d is { kind: string; rules: V1PolicyRule[] } =>
    typeof d === "object" && d !== null && (d as { kind?: unknown }).kind === "Role");
  if (roles.length !== 1 || !Array.isArray(roles[0]?.rules)) {
    throw new Error(`${DEPLOY_ROLE_FILE}: expected exactly one Role with rules, found ${roles.length}`);
  }
  return roles[0]!.rules;
}

/**
 * A ServiceAccount in `namespace` bound to a Role with deploy/'s rules, and a kubeconfig holding a real
 * token for it. `name` (default "sealsync", as in deploy/) names the ServiceAccount, Role and RoleBinding.
 * `controlPlane` defaults to the jest run's (see createNamespacedUser).
 */
export function createDeployRoleUser(namespace: string, name = "sealsync", controlPlane?: ControlPlaneInfo): Promise<NamespacedUser> {
  return createNamespacedUser(namespace, deployRoleRules(), name, controlPlane);
}
