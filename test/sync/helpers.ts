/** Shared set-up for sync tests: a namespace with the sidecar's namespaced Role, a repo, and a one-shot sync. */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { reconcile, type ReconcileOptions, type ReconcileResult } from "../../src/reconcile/sync.js";
import { GitSource } from "../../src/source/git.js";
import { createRepo, type TestRepo } from "../env/git.js";
import { createDeployRoleUser } from "../env/deploy-role.js";
import { createNamespace, createNamespacedUser } from "../env/kube.js";

export interface SyncFixture {
  namespace: string;
  repo: TestRepo;
  kubeconfig: string;
  dataDir: string;
  passwordFile: string;
  client: KubeClient;
  sync(extra?: Partial<ReconcileOptions>, ref?: string): Promise<ReconcileResult>;
}

/**
 * A namespace, a repo, and a kubeconfig for sealsync with exactly the rights deploy/role.yaml gives the
 * sidecar in production (so every sync and daemon test also proves that Role sufficient), or, for tests
 * of kinds the example Role does not list (custom resources), every right inside the namespace.
 */
export async function syncFixture(prefix: string, opts: { role?: "deploy" | "namespace-admin" } = {}): Promise<SyncFixture> {
  const namespace = await createNamespace(prefix);
  const user = opts.role === "namespace-admin" ? await createNamespacedUser(namespace) : await createDeployRoleUser(namespace);
  const repo = createRepo(prefix);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-data-"));
  const passwordFile = path.join(dataDir, "git-password");
  writeFileSync(passwordFile, `${repo.password}\n`, { mode: 0o600 });
  const client = new KubeClient(loadKubeConfig(user.kubeconfig));
  return {
    namespace, repo, kubeconfig: user.kubeconfig, dataDir, passwordFile, client,
    async sync(extra = {}, ref?: string) {
      const source = new GitSource({ url: repo.url, ref, dataDir, username: repo.username, passwordFile, allowInsecureHttp: true });
      const revision = await source.fetch();
      return reconcile(revision, { client, discovery: new Discovery(client), namespace, decryptors: [], ...extra });
    },
  };
}

export const configMap = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join("\n")}\n`;

export const deployment = (name: string, image = "nginx:1.27") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 0
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: app
          image: ${image}
`;

export function actions(result: ReconcileResult): string[] {
  return result.changes.map((c) => `${c.action} ${c.kind}/${c.name}${c.reason ? `: ${c.reason}` : ""}`).sort();
}
