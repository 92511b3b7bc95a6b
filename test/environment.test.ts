/**
 * Smoke tests proving the test environment is the real thing: a kube-apiserver that does SSA and
 * enforces RBAC, a Git smart-HTTP server with auth, and the real peer binaries.
 */
import { describe, expect, it } from "@jest/globals";
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import * as isogit from "isomorphic-git";
import http from "isomorphic-git/http/node";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { testAssets } from "./env/assets.js";
import { commitFiles, createRepo } from "./env/git.js";
import { adminKubeConfig, createNamespace, createNamespacedUser } from "./env/kube.js";
import { run } from "./env/run.js";
import { testEnvState } from "./env/state.js";

function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

describe("kube-apiserver", () => {
  it("server-side applies a ConfigMap and records our field manager", async () => {
    const ns = await createNamespace("smoke");
    const objects = KubernetesObjectApi.makeApiClient(adminKubeConfig());
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "hello", namespace: ns }, data: { greeting: "hi" } };
    await objects.patch(cm, undefined, undefined, "sealsync-test", true, PatchStrategy.ServerSideApply);

    const live = await adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "hello", namespace: ns });
    expect(live.data).toEqual({ greeting: "hi" });
    const managers = (live.metadata?.managedFields ?? []).map((f) => [f.manager, f.operation]);
    expect(managers).toContainEqual(["sealsync-test", "Apply"]);
  });

  it("confines a namespaced-Role ServiceAccount to its namespace (RBAC is on)", async () => {
    const ns = await createNamespace("own");
    const other = await createNamespace("other");
    const user = await createNamespacedUser(ns);
    const kc = new KubeConfig();
    kc.loadFromFile(user.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const cm = (namespace: string) => ({ namespace, body: { metadata: { name: "x" }, data: { a: "1" } } });

    await expect(core.createNamespacedConfigMap(cm(ns))).resolves.toBeDefined();
    await core.createNamespacedConfigMap(cm(other)).then(
      () => { throw new Error("write into another namespace was allowed"); },
      (err: unknown) => expect(statusOf(err)).toBe(403),
    );
    await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({ body: { metadata: { name: `x-${ns}` }, rules: [] } }).then(
      () => { throw new Error("creating a cluster-scoped object was allowed"); },
      (err: unknown) => expect(statusOf(err)).toBe(403),
    );
  });
});

describe("git smart-HTTP server", () => {
  it("serves a shallow, checkout-free clone read in memory, and refuses wrong credentials", async () => {
    const repo = createRepo("smoke");
    const sha = await commitFiles(repo, { "apps/cm.yaml": "kind: ConfigMap\n", "README.md": "hi\n" }, { message: "first" });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sealsync-clone-"));
    try {
      await isogit.clone({
        fs, http, dir, gitdir: dir, url: repo.url, depth: 1, singleBranch: true, noCheckout: true, noTags: true,
        onAuth: () => ({ username: repo.username, password: repo.password }),
      });
      // Bare object store only: nothing was checked out.
      expect(fs.existsSync(path.join(dir, "apps"))).toBe(false);
      const head = await isogit.resolveRef({ fs, gitdir: dir, ref: "HEAD" });
      expect(head).toBe(sha);
      const { blob } = await isogit.readBlob({ fs, gitdir: dir, oid: head, filepath: "apps/cm.yaml" });
      expect(Buffer.from(blob).toString()).toBe("kind: ConfigMap\n");

      const bad = fs.mkdtempSync(path.join(os.tmpdir(), "sealsync-clone-"));
      await expect(isogit.clone({
        fs, http, dir: bad, gitdir: bad, url: repo.url, depth: 1, noCheckout: true,
        onAuth: () => ({ username: repo.username, password: "wrong" }),
        onAuthFailure: () => ({ cancel: true }),
      })).rejects.toThrow(/401|auth|cancel/i);
      fs.rmSync(bad, { recursive: true, force: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("peer binaries", () => {
  const assets = testAssets();

  it("age encrypts and decrypts with a fresh identity", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sealsync-age-"));
    const keyFile = path.join(dir, "key.txt");
    expect(run(assets.ageKeygen, ["-o", keyFile]).exitCode).toBe(0);
    const recipient = run(assets.ageKeygen, ["-y", keyFile]).stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    const enc = run(assets.age, ["-r", recipient, "-o", path.join(dir, "msg.age")], { input: "hello" });
    expect(enc.exitCode).toBe(0);
    expect(run(assets.age, ["-d", "-i", keyFile, path.join(dir, "msg.age")]).stdout).toBe("hello");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sops encrypts to an age recipient and decrypts", () => {
    expect(run(assets.sops, ["--version"]).stdout).toMatch(/sops 3\.\d+\.\d+/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sealsync-sops-"));
    const keyFile = path.join(dir, "key.txt");
    run(assets.ageKeygen, ["-o", keyFile]);
    const recipient = run(assets.ageKeygen, ["-y", keyFile]).stdout.trim();
    fs.writeFileSync(path.join(dir, "s.yaml"), "password: hunter2\n");
    const enc = run(assets.sops, ["encrypt", "--age", recipient, path.join(dir, "s.yaml")]);
    expect(enc.exitCode).toBe(0);
    expect(enc.stdout).toMatch(/password: ENC\[AES256_GCM,data:/);
    fs.writeFileSync(path.join(dir, "s.enc.yaml"), enc.stdout);
    const dec = run(assets.sops, ["decrypt", path.join(dir, "s.enc.yaml")], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(dec.stdout).toBe("password: hunter2\n");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("kubeseal reports its version", () => {
    const res = run(assets.kubeseal, ["--version"]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/kubeseal version: v?0\.\d+\.\d+/);
  });

  it("kubectl talks to the test apiserver", () => {
    const { adminKubeconfig, dataDir } = testEnvState().controlPlane;
    expect(run(assets.kubectl, ["version", "--client"]).stdout).toMatch(/Client Version: v1\.\d+\.\d+/);
    const res = run(assets.kubectl, ["--kubeconfig", adminKubeconfig, "--cache-dir", path.join(dataDir, "kcache"),
      "get", "namespace", "default", "-o", "jsonpath={.metadata.name}"]);
    expect(res).toEqual({ exitCode: 0, stdout: "default", stderr: "" });
  });
});
