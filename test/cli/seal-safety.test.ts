/**
 * Issue 11, finding 12, as a user meets it with the real CLIs: `seal decrypt -o` over an existing 0644
 * file, `seal check` on a plaintext Secret inside a `kind: List` and on a file with a YAML error, and
 * `sealsync plan --dir` with a symlink in the middle of --path.
 */
import { describe, expect, it } from "@jest/globals";
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../env/assets.js";
import { runAsync } from "../env/run.js";
import { testEnvState } from "../env/state.js";
import { sandbox } from "./seal-helpers.js";

const SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\nstringData:\n    password: Pl4nted-0644\n";

describe("finding 12 with the real CLIs", () => {
  it("seal decrypt -o onto an existing 0644 file leaves it 0600, as it says", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), sb.seal(["encrypt", "--age", r, "-"], { input: SECRET }).stdout);
    const out = path.join(sb.dir, "plain.yaml");
    writeFileSync(out, "old, world-readable\n");
    chmodSync(out, 0o644);
    const res = sb.seal(["decrypt", "--key", "k.txt", "-o", "plain.yaml", "s.yaml"]);
    expect(res).toMatchObject({ exitCode: 0, stdout: "" });
    expect(res.stderr).toMatch(/→ plain\.yaml \(mode 0600\)/);
    expect(res.stderr).not.toContain("Pl4nted-0644");
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, "utf8")).toBe(SECRET);
  });

  it("seal check finds a plaintext Secret inside a kind: List, and fails a file with a YAML error naming where", () => {
    const sb = sandbox();
    writeFileSync(path.join(sb.dir, "list.yaml"), `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: fine}\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: hidden}\n    stringData: {password: Pl4nted-list}\n`);
    writeFileSync(path.join(sb.dir, "broken.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: {name: x\nstringData: {password: Pl4nted-broken}\n");
    const res = sb.seal(["check", "."]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/list\.yaml.*plaintext Secret hidden/);
    expect(res.stdout).toMatch(/broken\.yaml.*invalid YAML at line \d+, column \d+ .*cannot check it for plaintext secrets/);
    expect(res.stdout + res.stderr).not.toMatch(/Pl4nted/);
    expect(res.stderr).toBe("seal check: 2 problems in 2 files checked\n");
  });

  it("sealsync plan --dir refuses a symlink in the middle of --path, naming it (exit 1, one line)", async () => {
    const sb = sandbox();
    const outside = path.join(sb.dir, "outside", "app");
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\ndata: {v: Pl4nted-outside}\n");
    mkdirSync(path.join(sb.dir, "repo"));
    symlinkSync(path.join(sb.dir, "outside"), path.join(sb.dir, "repo", "env"));
    const res = await runAsync(process.execPath, [path.join(repoRoot, "dist/cli/sealsync.js"), "plan", "--dir", path.join(sb.dir, "repo"),
      "--path", "env/app", "-n", "x", "--kubeconfig", testEnvState().controlPlane.adminKubeconfig]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/--path env\/app: env is a symlink; symlinks are never followed/);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stdout + res.stderr).not.toContain("Pl4nted-outside");
  });
});
