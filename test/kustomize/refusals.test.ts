/**
 * What a kustomize build refuses, each up front with a message naming the file: remote bases, helm
 * charts, exec/KRM plugins, paths leaving the repository, symlinks, and an encrypted value that a build
 * copies into another object. Nothing of such a revision reaches kustomize's output.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildKustomization } from "../../src/build/kustomize/index.js";
import { Keyring } from "../../src/crypto/keyring.js";
import { RevisionRejectedError } from "../../src/manifests/errors.js";
import { decryptorsFor } from "../../src/reconcile/decryptors.js";
import { DirSource } from "../../src/source/dir.js";
import { symlinkSync } from "node:fs";
import { GitSource } from "../../src/source/git.js";
import { testAssets } from "../env/assets.js";
import { commitFiles, createRepo } from "../env/git.js";
import { makeTestKeys, secretYaml, type TestKeys } from "../env/keys.js";
import { kustomization, sopsEncryptAs, writeTree } from "./helpers.js";

const CANARY = "canary-k7-refusal-do-not-print";
let keys: TestKeys;
let keyring: Keyring;

beforeAll(async () => {
  keys = await makeTestKeys();
  keyring = await Keyring.open({ dirs: [keys.dir], watch: false, resyncIntervalMs: 0 });
});
afterAll(async () => {
  await keyring.close();
});

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;

/** Builds `path` of a tree; returns the refusal message (the test fails if the build succeeds). */
async function refusal(files: Parameters<typeof writeTree>[0], at = "app"): Promise<string> {
  const dir = writeTree(files);
  const revision = await new DirSource({ dir, path: at }).fetch();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-kref-"));
  try {
    await buildKustomization(revision, {
      decryptors: decryptorsFor(keyring, "team"), key: randomBytes(32), namespace: "team", dataDir, command: testAssets().kustomize,
    });
  } catch (err) {
    expect(err).toBeInstanceOf(RevisionRejectedError);
    return (err as Error).message;
  }
  throw new Error("the build was not refused");
}

describe("kustomize build refusals", () => {
  it("a remote base", async () => {
    const message = await refusal({
      "app/kustomization.yaml": kustomization({ resources: ["cm.yaml", "https://github.com/example/repo//deploy?ref=v1"] }),
      "app/cm.yaml": configMap("a"),
    });
    expect(message).toContain("app/kustomization.yaml (document 0): resources \"https://github.com/example/repo//deploy?ref=v1\" is a remote base; " +
      "sealsync builds only what is in the repository (vendor it in)");
  });

  it("a git:: base", async () => {
    const message = await refusal({ "app/kustomization.yaml": kustomization({ resources: ["git::https://example.com/r.git//base"] }) });
    expect(message).toContain("app/kustomization.yaml (document 0): resources \"git::https://example.com/r.git//base\" is a remote base");
  });

  it("helmCharts", async () => {
    const message = await refusal({ "app/kustomization.yaml": kustomization({ helmCharts: [{ name: "redis", repo: "https://charts.example.com" }] }) });
    expect(message).toContain("app/kustomization.yaml (document 0): helmCharts is refused: sealsync never runs helm (render the chart into the repository)");
  });

  it("an exec/KRM function plugin", async () => {
    const message = await refusal({
      "app/kustomization.yaml": kustomization({ resources: ["cm.yaml"], transformers: ["fn.yaml"] }),
      "app/cm.yaml": configMap("a"),
      "app/fn.yaml": "apiVersion: example.com/v1\nkind: Sidecar\nmetadata:\n  name: fn\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./run.sh\n",
    });
    expect(message).toContain("app/kustomization.yaml (document 0): transformers \"fn.yaml\": Sidecar is a KRM function (exec/container plugin); sealsync never runs plugins");
  });

  it("a legacy (non-builtin) plugin", async () => {
    const message = await refusal({
      "app/kustomization.yaml": kustomization({ generators: ["gen.yaml"] }),
      "app/gen.yaml": "apiVersion: someteam.example.com/v1\nkind: ChartRenderer\nmetadata:\n  name: x\n",
    });
    expect(message).toContain("app/kustomization.yaml (document 0): generators \"gen.yaml\": ChartRenderer is not a builtin kustomize generator; plugins are refused");
  });

  it("a path leaving the repository", async () => {
    const message = await refusal({ "app/kustomization.yaml": kustomization({ resources: ["../../outside"] }) });
    expect(message).toContain("app/kustomization.yaml (document 0): resources \"../../outside\" reaches outside the repository; a build may only read files of the repository");
  });

  it("a symlink", async () => {
    const message = await refusal({
      "app/kustomization.yaml": kustomization({ resources: ["cm.yaml"] }),
      "app/cm.yaml": { symlink: "/etc/passwd" },
    });
    expect(message).toContain("app/kustomization.yaml (document 0): resources \"app/cm.yaml\" goes through the symlink app/cm.yaml; symlinks are never followed (commit the file itself)");
  });

  it("an encrypted value copied into a ConfigMap by replacements", async () => {
    const message = await refusal({
      "app/kustomization.yaml": kustomization({
        resources: ["db.sops.yaml", "cm.yaml"],
        replacements: [{
          source: { kind: "Secret", name: "db", fieldPath: "stringData.password" },
          targets: [{ select: { kind: "ConfigMap", name: "a" }, fieldPaths: ["data.a"] }],
        }],
      }),
      "app/cm.yaml": configMap("a"),
      "app/db.sops.yaml": sopsEncryptAs("db.yaml", secretYaml("db", { password: CANARY }), keys.ageRecipient, ["--encrypted-regex", "^(data|stringData)$"]),
    });
    expect(message).toContain("kustomize build app (document 0, ConfigMap/a): ConfigMap/a received a value of an encrypted Secret from app/db.sops.yaml " +
      "(copied by replacements, a patch or a generator?); encrypted values may only stay in the object they came from");
    expect(message).not.toContain(CANARY);
  });

  it("kustomize's own error, shown with the repository path and never a value", async () => {
    const message = await refusal({
      "app/kustomization.yaml": kustomization({ resources: ["db.sops.yaml", "bad.yaml"] }),
      "app/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
      "app/db.sops.yaml": sopsEncryptAs("db.yaml", secretYaml("db", { password: CANARY }), keys.ageRecipient, ["--encrypted-regex", "^(data|stringData)$"]),
    });
    expect(message).toMatch(/app\/kustomization.yaml \(document 0\): kustomize build failed \(exit 1\): .*bad\.yaml/);
    expect(message).not.toContain("sealsync-kref-");
    expect(message).not.toContain(CANARY);
  });

  it("a SOPS .env generator source whose MAC does not match the file as written in Git", async () => {
    const env = sopsEncryptAs("app.env", `API_KEY=${CANARY}\nMODE=x\n`, keys.ageRecipient);
    // Drop one value: every remaining value still decrypts, but the MAC over the file no longer matches.
    const tampered = env.split("\n").filter((l) => !l.startsWith("MODE=")).join("\n");
    const message = await refusal({
      "app/kustomization.yaml": kustomization({ secretGenerator: [{ name: "app", envs: ["app.sops.env"] }] }),
      "app/app.sops.env": tampered,
    });
    expect(message).toMatch(/app\/app\.sops\.env \(document 0\): .*MAC/i);
    expect(message).not.toContain(CANARY);
  });

  it("a symlinked base folder in a Git commit is not followed", async () => {
    const repo = createRepo("ksymlink");
    symlinkSync("../real", path.join(repo.workdir, "linked"), "dir");
    await commitFiles(repo, {
      "app/kustomization.yaml": kustomization({ resources: ["../linked"] }),
      "real/kustomization.yaml": kustomization({ resources: ["cm.yaml"] }),
      "real/cm.yaml": configMap("a"),
    });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-kref-"));
    const passwordFile = path.join(dataDir, "password");
    writeFileSync(passwordFile, repo.password);
    const revision = await new GitSource({ url: repo.url, path: "app", dataDir, username: repo.username, passwordFile, allowInsecureHttp: true }).fetch();
    // Only the kustomization was read: the link's target never was.
    expect([...(revision.kustomize?.files.keys() ?? [])]).toEqual(["app/kustomization.yaml"]);
    await expect(buildKustomization(revision, { decryptors: [], key: randomBytes(32), namespace: "team", dataDir, command: testAssets().kustomize }))
      .rejects.toThrow("app/kustomization.yaml (document 0): resources \"linked\" goes through the symlink linked; symlinks are never followed");
  });
});
