/** Where the provisioned test binaries are: written by test/env/provision.sh, read here. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export interface TestAssets {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  sops: string;
  kubeseal: string;
  kustomize: string;
  age: string;
  ageKeygen: string;
  git: string;
  gitHttpBackend: string;
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const assetsFile = path.join(repoRoot, ".cache/test-env.json");

export function testAssets(): TestAssets {
  try {
    return JSON.parse(readFileSync(assetsFile, "utf8")) as TestAssets;
  } catch (err) {
    throw new Error(
      `test environment not provisioned (${assetsFile} missing or unreadable): ` +
        "run `npm test` (which provisions first) or `npm run provision`",
      { cause: err },
    );
  }
}
