/** kubectl as the admin, and the objects deploy/ renders to: shared by the deploy/ and examples tests. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot, testAssets } from "../env/assets.js";
import { runAsync, type RunResult } from "../env/run.js";
import { testEnvState } from "../env/state.js";

export const DEPLOY_DIR = path.join(repoRoot, "deploy");

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The real kubectl with the admin kubeconfig; its discovery cache stays under `tmp`. */
export function kubectl(tmp: string, args: string[], input?: string): Promise<RunResult> {
  return runAsync(testAssets().kubectl, [
    `--kubeconfig=${testEnvState().controlPlane.adminKubeconfig}`,
    `--cache-dir=${path.join(tmp, "kube-cache")}`,
    ...args,
  ], { input, timeoutMs: 120_000 });
}

export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

/** `kubectl kustomize DIR`, parsed; fails the test with kubectl's own message if it cannot render. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const res = await runAsync(testAssets().kubectl, ["kustomize", dir], { timeoutMs: 60_000 });
  if (res.exitCode !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${res.stderr}`);
  return parseObjects(res.stdout);
}

/**
 * An overlay of deploy/ that only changes the namespace — what a user does to install into their own
 * namespace — written under `tmp` (kustomize needs a relative path to the base).
 */
export function writeNamespaceOverlay(tmp: string, namespace: string): string {
  const dir = path.join(tmp, "overlay");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kustomization.yaml"),
    `namespace: ${namespace}\nresources:\n  - ${path.relative(dir, DEPLOY_DIR)}\n`);
  return dir;
}

/** A Pod as the ReplicaSet controller would create it from a Deployment's template. */
export function podFromTemplate(deployment: K8sObject, name: string, namespace: string): K8sObject {
  const template = (deployment.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: unknown } }).template;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: template.metadata?.labels ?? {} },
    spec: structuredClone(template.spec),
  };
}

export function only<T extends K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as T;
}
