/**
 * `seal check` knows kustomize's secretGenerator: a source file fed to one (`envs:`, `files:`, with or
 * without a `key=` prefix) is plaintext unless SOPS-encrypted, whatever its extension. Encrypted with the
 * real sops, it passes; and no value is ever quoted.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { run } from "../env/run.js";
import { sandbox } from "./seal-helpers.js";

const CANARY = "Pl4nted-generator-pw";

describe("seal check over a kustomization", () => {
  it("refuses plaintext secretGenerator sources by name and passes once sops encrypted them", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    const app = path.join(sb.dir, "app");
    mkdirSync(app);
    writeFileSync(path.join(app, "kustomization.yaml"), [
      "resources: [cm.yaml]",
      "configMapGenerator:",
      "- name: settings",
      "  literals: [mode=fast]",
      "secretGenerator:",
      "- name: db",
      "  envs: [db.env]",
      "- name: tls",
      "  files: [tls.key=server.key, ca.pem]",
      "",
    ].join("\n"));
    writeFileSync(path.join(app, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n");
    writeFileSync(path.join(app, "db.env"), `PASSWORD=${CANARY}\n`);
    writeFileSync(path.join(app, "server.key"), `-----BEGIN KEY-----\n${CANARY}\n-----END KEY-----\n`);
    writeFileSync(path.join(app, "ca.pem"), `${CANARY}\n`);

    const before = sb.seal(["check", "app"]);
    expect(before.exitCode).toBe(1);
    expect(before.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "app/ca.pem: plaintext source of secretGenerator tls in app/kustomization.yaml; encrypt it with `seal encrypt -i app/ca.pem` (sealsync decrypts it before the build)",
      "app/db.env: plaintext source of secretGenerator db in app/kustomization.yaml; encrypt it with `seal encrypt -i app/db.env` (sealsync decrypts it before the build)",
      "app/server.key: plaintext source of secretGenerator tls in app/kustomization.yaml; encrypt it with `seal encrypt -i app/server.key` (sealsync decrypts it before the build)",
    ]);
    expect(before.stdout + before.stderr).not.toContain(CANARY);

    // The real sops encrypts each in place (dotenv, and binary for the key files).
    for (const [file, type] of [["db.env", "dotenv"], ["server.key", "binary"], ["ca.pem", "binary"]] as const) {
      const enc = sb.sops(["encrypt", "--age", r, "--input-type", type, "--output-type", type, "-i", path.join("app", file)]);
      expect({ file, exitCode: enc.exitCode, stderr: enc.stderr }).toEqual({ file, exitCode: 0, stderr: "" });
    }
    const after = sb.seal(["check", "app"]);
    expect({ exitCode: after.exitCode, stdout: after.stdout }).toEqual({ exitCode: 0, stdout: "" });
  });

  it("with --staged, reads the sources as the commit will hold them", () => {
    const sb = sandbox();
    const git = (...args: string[]) => run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: sb.dir, env: sb.env });
    expect(git("init", "-q", "-b", "main").exitCode).toBe(0);
    writeFileSync(path.join(sb.dir, "kustomization.yaml"), "secretGenerator:\n- name: api\n  envs: [api.env]\n");
    writeFileSync(path.join(sb.dir, "api.env"), `TOKEN=${CANARY}\n`);
    expect(git("add", ".").exitCode).toBe(0);
    const res = sb.seal(["check", "--staged"]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe("api.env: plaintext source of secretGenerator api in kustomization.yaml; encrypt it with `seal encrypt -i api.env` (sealsync decrypts it before the build)\n");
  });
});
