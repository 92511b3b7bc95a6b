/**
 * Differential: what sealsync builds from a kustomization equals what the real `kustomize build` prints,
 * object for object, on fixtures covering resources (files, folders, nested kustomizations), components,
 * namespace, namePrefix/nameSuffix with name references, labels/commonLabels, commonAnnotations, images,
 * replicas, strategic-merge and JSON 6902 patches with targets, transformer configs, configurations,
 * config/secret generators (literals, files, envs, behavior, options, disableNameSuffixHash), replacements.
 * sealsync's side reads only the files the kustomizations reach, through the same source as a sync.
 */
import { describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { buildKustomization } from "../../src/build/kustomize/index.js";
import { DirSource } from "../../src/source/dir.js";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/diff");
const kustomize = testAssets().kustomize;

function kustomizeBuild(dir: string): unknown[] {
  const res = run(kustomize, ["build", path.join(fixtures, dir)]);
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return parseAllDocuments(res.stdout).map((d) => d.toJS());
}

async function sealsyncBuild(dir: string) {
  const revision = await new DirSource({ dir: fixtures, path: dir }).fetch();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-kdiff-"));
  const built = await buildKustomization(revision, {
    decryptors: [], key: randomBytes(32), namespace: "elsewhere", dataDir, command: kustomize,
  });
  return { revision, built, dataDir };
}

describe("kustomize build, differential", () => {
  it.each(["overlays/prod", "overlays/dev", "base", "plain"])("%s: the objects equal kustomize build's", async (dir) => {
    const expected = kustomizeBuild(dir);
    const { built, dataDir } = await sealsyncBuild(dir);
    expect(built.documents.map((d) => d.body)).toEqual(expected);
    expect(built.documents.every((d) => d.decryption === undefined)).toBe(true);
    // The temporary tree is gone after the build.
    expect(readdirSync(path.join(dataDir, "kustomize"))).toEqual([]);
  });

  it("the prod overlay covers what it claims: prefixed names referenced, generators hashed, patches applied", async () => {
    const { built } = await sealsyncBuild("overlays/prod");
    const byName = new Map(built.documents.map((d) => [`${String(d.body.kind)}/${String((d.body.metadata as { name: string }).name)}`, d.body]));
    const names = [...byName.keys()].sort();
    expect(names).toEqual(expect.arrayContaining([
      "ConfigMap/prod-flags-v1", "ConfigMap/prod-monitor-rules-v1", "ConfigMap/prod-settings-v1",
      "Deployment/prod-web-v1", "PodDisruptionBudget/prod-web-v1", "Service/prod-web-v1",
    ]));
    const config = names.find((n) => n.startsWith("ConfigMap/prod-web-config-v1-"));
    const creds = names.find((n) => n.startsWith("Secret/prod-web-creds-v1-"));
    expect(config).toBeDefined();
    expect(creds).toBeDefined();
    const deployment = JSON.stringify(byName.get("Deployment/prod-web-v1"));
    expect(deployment).toContain(`"name":"${config?.slice("ConfigMap/".length)}"`);
    expect(deployment).toContain(`"name":"${creds?.slice("Secret/".length)}"`);
    expect(deployment).toContain("\"containerPort\":8080");
    expect(deployment).toMatch(/"region":"eu-west"/); // replacements copied the ConfigMap's value
    expect(deployment).toContain("@sha256:0000");
    // kustomize's own warnings are passed on, naming the kustomization.
    expect(built.warnings).toContain("kustomize (overlays/prod/kustomization.yaml): Warning: 'patchesStrategicMerge' is deprecated. " +
      "Please use 'patches' instead. Run 'kustomize edit fix' to update your Kustomization automatically.");
  });

  it("reads only the files the kustomizations reach", async () => {
    const { revision } = await sealsyncBuild("overlays/dev");
    const files = [...(revision.kustomize?.files.keys() ?? [])].sort();
    expect(files).toEqual([
      "base/deployment.yaml", "base/files/app.properties", "base/files/extra.env", "base/files/nginx.conf",
      "base/kustomization.yaml", "base/nested/kustomization.yaml", "base/nested/settings.yaml", "base/service.yaml",
      "overlays/dev/kustomization.yaml",
    ]);
  });
});
