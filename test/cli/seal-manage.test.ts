/** `seal secret`, `rotate`, `updatekeys` and `check` as a user runs them, checked with the real sops. */
import { describe, expect, it } from "@jest/globals";
import { readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";
import { sandbox, sealJs } from "./seal-helpers.js";

const SECRET = `apiVersion: v1
kind: Secret
metadata:
    name: db
stringData:
    password: hunter2
`;

const encValues = (text: string) => [...text.matchAll(/ENC\[AES256_GCM,[^\]]+\]/g)].map((m) => m[0]);

describe("seal secret", () => {
  it("builds an encrypted Secret from literals, files and env files; sops decrypts it", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "tls.key"), Buffer.from([0, 1, 2, 255]));
    writeFileSync(path.join(sb.dir, "app.env"), "# settings\nAPI_URL=https://x\n\nTOKEN= spaced \n");
    const res = sb.seal([
      "secret", "api", "-n", "shop", "--age", r,
      "--from-literal", "user=admin", "--from-literal", "note=a: b",
      "--from-file", "tls.key", "--from-file", "cert=tls.key", "--from-env-file", "app.env",
    ]);
    expect(res).toMatchObject({ exitCode: 0, stderr: "" });
    expect(res.stdout).not.toContain("admin");
    writeFileSync(path.join(sb.dir, "api.yaml"), res.stdout);
    const dec = sb.sops(["-d", "api.yaml"], { env: { SOPS_AGE_KEY_FILE: "k.txt" } });
    expect(dec).toMatchObject({ exitCode: 0, stderr: "" });
    expect(dec.stdout).toBe(`apiVersion: v1
kind: Secret
metadata:
    name: api
    namespace: shop
type: Opaque
stringData:
    user: admin
    note: 'a: b'
    API_URL: https://x
    TOKEN: ' spaced '
data:
    tls.key: AAEC/w==
    cert: AAEC/w==
`);
  });

  it("refuses duplicate keys and a Secret without data", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    const dup = sb.seal(["secret", "x", "--age", r, "--from-literal", "a=1", "--from-literal", "a=2"]);
    expect(dup).toMatchObject({ exitCode: 2, stdout: "" });
    expect(dup.stderr).toContain('key "a" is given more than once');
    const none = sb.seal(["secret", "x", "--age", r]);
    expect(none).toMatchObject({ exitCode: 2, stdout: "" });
    expect(none.stderr).toContain("no data");
  });
});

describe("seal rotate", () => {
  it("re-encrypts every value under a new data key; the plaintext is unchanged", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), sb.seal(["encrypt", "--age", r, "-"], { input: SECRET }).stdout);
    const before = readFileSync(path.join(sb.dir, "s.yaml"), "utf8");
    const res = sb.seal(["rotate", "-i", "--key", "k.txt", "s.yaml"]);
    expect(res).toMatchObject({ exitCode: 0, stdout: "" });
    const after = readFileSync(path.join(sb.dir, "s.yaml"), "utf8");
    expect(encValues(after)).toHaveLength(encValues(before).length);
    for (const v of encValues(after)) expect(encValues(before)).not.toContain(v);
    expect(sb.sops(["-d", "s.yaml"], { env: { SOPS_AGE_KEY_FILE: "k.txt" } }).stdout).toBe(SECRET);
  });
});

describe("seal updatekeys", () => {
  it("adds and removes recipients without touching values", () => {
    const sb = sandbox();
    const a = sb.ageKeygen("a.txt");
    const b = sb.ageKeygen("b.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), sb.seal(["encrypt", "--age", a, "-"], { input: SECRET }).stdout);
    const before = readFileSync(path.join(sb.dir, "s.yaml"), "utf8");
    const add = sb.seal(["updatekeys", "--key", "a.txt", "--add-age", b, "s.yaml"]);
    expect(add).toEqual({ exitCode: 0, stdout: "", stderr: `s.yaml: added ${b}\n` });
    const mid = readFileSync(path.join(sb.dir, "s.yaml"), "utf8");
    expect(encValues(mid)).toEqual(encValues(before)); // values and MAC untouched
    expect(sb.sops(["-d", "s.yaml"], { env: { SOPS_AGE_KEY_FILE: "b.txt" } }).stdout).toBe(SECRET);
    const rm = sb.seal(["updatekeys", "--key", "b.txt", "--rm-age", a, "s.yaml"]);
    expect(rm.exitCode).toBe(0);
    expect(rm.stderr).toContain(`s.yaml: removed ${a}`);
    expect(rm.stderr).toContain("seal rotate -i s.yaml");
    expect(sb.sops(["-d", "s.yaml"], { env: { SOPS_AGE_KEY_FILE: "a.txt" } }).exitCode).not.toBe(0);
    expect(sb.seal(["decrypt", "--key", "b.txt", "s.yaml"]).stdout).toBe(SECRET);
  });

  it("without flags, syncs recipients with .sops.yaml", () => {
    const sb = sandbox();
    const a = sb.ageKeygen("a.txt");
    const b = sb.ageKeygen("b.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), sb.seal(["encrypt", "--age", a, "-"], { input: SECRET }).stdout);
    writeFileSync(path.join(sb.dir, ".sops.yaml"), `creation_rules:\n  - age: ${a},${b}\n`);
    const res = sb.seal(["updatekeys", "--key", "a.txt", "s.yaml"]);
    expect(res).toEqual({ exitCode: 0, stdout: "", stderr: `s.yaml: added ${b}\n` });
    expect(sb.seal(["updatekeys", "--key", "a.txt", "s.yaml"]).stderr).toBe("s.yaml: recipients already up to date\n");
  });
});

describe("seal check", () => {
  function repo() {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    mkdirSync(path.join(sb.dir, "k8s"));
    const enc = sb.seal(["encrypt", "--age", r, "-"], { input: SECRET }).stdout;
    writeFileSync(path.join(sb.dir, "k8s/db.enc.yaml"), enc);
    writeFileSync(path.join(sb.dir, "k8s/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n");
    // Not a manifest (a Helm values file): nothing to check, and no problem. (A file that is not valid YAML is one: see the safety tests.)
    writeFileSync(path.join(sb.dir, "k8s/values.yaml"), "replicaCount: 1\nimage:\n  tag: v1\n");
    return { sb, r, enc };
  }

  it("passes a clean tree with a summary on stderr", () => {
    const { sb } = repo();
    expect(sb.seal(["check", "k8s"])).toEqual({ exitCode: 0, stdout: "", stderr: "seal check: 3 files checked, no plaintext secrets; MAC verified for 0 of 1 encrypted\n" });
    expect(sb.seal(["check", "--key", "k.txt", "k8s"]).stderr).toBe("seal check: 3 files checked, no plaintext secrets; MAC verified for 1 of 1 encrypted\n");
  });

  it("reports a plaintext Secret, a half-encrypted file, a garbled value and (with a key) a MAC mismatch", () => {
    const { sb, enc } = repo();
    writeFileSync(path.join(sb.dir, "k8s/plain.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n${SECRET.replace("name: db", "name: leak\n    namespace: prod")}`);
    writeFileSync(path.join(sb.dir, "k8s/half.yaml"), enc.replace("stringData:\n", "stringData:\n    added: plain\n"));
    writeFileSync(path.join(sb.dir, "k8s/garbled.yaml"), enc.replace(/iv:[^,]+/, "iv:%%%"));
    writeFileSync(path.join(sb.dir, "k8s/edited.yaml"), enc.replace("name: db", "name: other"));
    const res = sb.seal(["check", "--key", "k.txt", "k8s"]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout.split("\n").filter((l) => l !== "").sort()).toEqual([
      "k8s/edited.yaml: MAC mismatch: values were changed, added, removed or reordered after encryption (or edited without sops). Restore the file from Git or re-encrypt it.",
      "k8s/garbled.yaml at key stringData.password: garbled encrypted value: the iv field of the ENC[…] value is not valid base64",
      "k8s/half.yaml at key stringData.added: value is not encrypted (added or edited after encryption?); re-encrypt the file",
      "k8s/plain.yaml (document 2): plaintext Secret prod/leak; encrypt it with `seal encrypt -i k8s/plain.yaml`",
    ]);
    expect(res.stdout).not.toContain("hunter2");
    expect(res.stderr).toBe("seal check: 4 problems in 7 files checked; MAC verified for 1 of 4 encrypted\n");
  });

  it("--install-hook makes git refuse a commit that stages a plaintext Secret, calling seal as the project installs it", () => {
    const { sb } = repo();
    const git = (...args: string[]) => run(testAssets().git, ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: sb.dir, env: sb.env });
    expect(git("init", "-q").exitCode).toBe(0);
    const hook = sb.seal(["check", "--install-hook"]);
    expect(hook.exitCode).toBe(0);
    const hookFile = path.join(sb.dir, ".git/hooks/pre-commit");
    expect(statSync(hookFile).mode & 0o111).not.toBe(0);
    // No absolute node or seal.js path: those break when node is upgraded or the package moves.
    expect(readFileSync(hookFile, "utf8")).not.toContain(process.execPath);
    expect(readFileSync(hookFile, "utf8")).not.toContain("seal.js");
    // Without seal installed, the commit is refused with a way out.
    git("add", "k8s");
    const missing = git("commit", "-q", "-m", "no seal yet");
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain("seal not found (npm install it in this repository, or put it on PATH)");
    // Installed in the project as npm does it: an executable node_modules/.bin/seal.
    mkdirSync(path.join(sb.dir, "node_modules/.bin"), { recursive: true });
    writeFileSync(path.join(sb.dir, "node_modules/.bin/seal"), `#!/bin/sh\nexec "${process.execPath}" "${sealJs}" "$@"\n`, { mode: 0o755 });
    writeFileSync(path.join(sb.dir, ".gitignore"), "node_modules/\n");
    git("add", "k8s");
    expect(git("commit", "-q", "-m", "encrypted only").exitCode).toBe(0);
    writeFileSync(path.join(sb.dir, "k8s/leak.yaml"), SECRET);
    git("add", "k8s/leak.yaml");
    const blocked = git("commit", "-q", "-m", "leak");
    expect(blocked.exitCode).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("k8s/leak.yaml: plaintext Secret db");
    // An unrelated existing hook is not overwritten.
    writeFileSync(hookFile, "#!/bin/sh\nexit 0\n");
    const again = sb.seal(["check", "--install-hook"]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("was not written by seal");
  });
});
