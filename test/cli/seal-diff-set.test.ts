/**
 * `seal diff` and `seal set`/`unset` against the real sops and kubeseal: a file edited with `sops set` and
 * the same edit made with `seal set` read the same in `seal diff`; after `seal set` sops decrypts the file
 * and only the changed value's ciphertext differs; rotation reads as re-encrypted; SealedSecret items;
 * Git ranges for PR review. The canary values never appear in any output or file but the encrypted ones.
 */
import { describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import path from "node:path";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";
import { kubeseal, kubesealUnseal, sandbox, sealJs, type Sandbox } from "./seal-helpers.js";

const CANARY = "canary-7f3a9c-old";
const NEW_CANARY = "canary-7f3a9c-new";
const API_CANARY = "canary-7f3a9c-api";

const SECRET = `apiVersion: v1
kind: Secret
metadata:
    name: db
    namespace: demo
stringData:
    user: admin
    password: ${CANARY}
    host: db.internal
`;

const encValues = (text: string) => Object.fromEntries([...text.matchAll(/^\s*([\w.-]+): (ENC\[AES256_GCM,[^\]]+\])$/gm)].map((m) => [m[1]!, m[2]!]));

/** sops reading its plaintext from stdin, so the canary never sits in a file. */
function sopsEncrypt(sb: Sandbox, recipient: string, plain: string, out: string): void {
  // Through `cat`, so sops' /dev/stdin is a pipe (node hands children a socket, which cannot be opened).
  const res = run("/bin/sh", ["-c", 'cat | "$0" "$@"', testAssets().sops, "-e", "--input-type", "yaml", "--output-type", "yaml", "--age", recipient, "--encrypted-regex", "^(data|stringData)$", "/dev/stdin"], {
    input: plain, cwd: sb.dir, env: sb.env,
  });
  if (res.exitCode !== 0) throw new Error(res.stderr);
  writeFileSync(path.join(sb.dir, out), res.stdout);
}

function sops(sb: Sandbox, args: string[], key = "k.txt") {
  return run(testAssets().sops, args, { cwd: sb.dir, env: { ...sb.env, SOPS_AGE_KEY_FILE: path.join(sb.dir, key) } });
}

/** Every file under dir whose bytes contain one of the canaries (none may, except through ciphertext). */
function filesWithCanary(dir: string): string[] {
  const hits: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (!e.isFile() || statSync(p).size > 1 << 20) continue;
    const text = readFileSync(p, "latin1");
    if ([CANARY, NEW_CANARY, API_CANARY].some((c) => text.includes(c))) hits.push(p);
  }
  return hits;
}

function expectNoCanary(...outputs: string[]): void {
  for (const o of outputs) for (const c of [CANARY, NEW_CANARY, API_CANARY]) expect(o).not.toContain(c);
}

describe("seal set and seal diff, against sops set", () => {
  it("the same edit made with sops set and with seal set reads the same in seal diff, and sops decrypts both alike", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    sopsEncrypt(sb, r, SECRET, "orig.yaml");
    copyFileSync(path.join(sb.dir, "orig.yaml"), path.join(sb.dir, "by-sops.yaml"));
    copyFileSync(path.join(sb.dir, "orig.yaml"), path.join(sb.dir, "by-seal.yaml"));

    // The edit with sops: change password, add api, remove host (values through stdin, not argv).
    expect(run(testAssets().sops, ["set", "--value-stdin", "by-sops.yaml", '["stringData"]["password"]'], {
      input: JSON.stringify(NEW_CANARY), cwd: sb.dir, env: { ...sb.env, SOPS_AGE_KEY_FILE: path.join(sb.dir, "k.txt") },
    })).toMatchObject({ exitCode: 0 });
    expect(run(testAssets().sops, ["set", "--value-stdin", "by-sops.yaml", '["stringData"]["api"]'], {
      input: JSON.stringify(API_CANARY), cwd: sb.dir, env: { ...sb.env, SOPS_AGE_KEY_FILE: path.join(sb.dir, "k.txt") },
    })).toMatchObject({ exitCode: 0 });
    expect(sops(sb, ["unset", "by-sops.yaml", '["stringData"]["host"]'])).toMatchObject({ exitCode: 0 });

    // The same edit with seal.
    const set1 = sb.seal(["set", "--key", "k.txt", "by-seal.yaml", "stringData.password"], { input: `${NEW_CANARY}\n` });
    expect(set1).toEqual({ exitCode: 0, stdout: "", stderr: "by-seal.yaml: changed stringData.password; other values' ciphertexts unchanged, MAC updated\n" });
    const set2 = sb.seal(["set", "--key", "k.txt", "by-seal.yaml", '["stringData"]["api"]'], { input: API_CANARY });
    expect(set2).toEqual({ exitCode: 0, stdout: "", stderr: "by-seal.yaml: added stringData.api; other values' ciphertexts unchanged, MAC updated\n" });
    const unset = sb.seal(["unset", "--key", "k.txt", "by-seal.yaml", "stringData.host"]);
    expect(unset).toEqual({ exitCode: 0, stdout: "", stderr: "by-seal.yaml: removed stringData.host; other values' ciphertexts unchanged, MAC updated\n" });

    // sops decrypts seal's file (MAC verified) to exactly what it made itself.
    const fromSops = sops(sb, ["-d", "by-sops.yaml"]);
    const fromSeal = sops(sb, ["-d", "by-seal.yaml"]);
    expect(fromSeal).toMatchObject({ exitCode: 0, stderr: "" });
    expect(fromSeal.stdout).toBe(fromSops.stdout);
    expect(fromSeal.stdout).toContain(`password: ${NEW_CANARY}`);

    // Only the changed value's ciphertext differs; the unchanged one is byte for byte the same.
    const [before, after] = [encValues(readFileSync(path.join(sb.dir, "orig.yaml"), "utf8")), encValues(readFileSync(path.join(sb.dir, "by-seal.yaml"), "utf8"))];
    expect(after.user).toBe(before.user);
    expect(after.password).not.toBe(before.password);
    expect(Object.keys(after).sort()).toEqual(["api", "mac", "password", "user"]);

    // seal diff, without a key, says the same of both edits.
    const expected = "stringData.password changed; stringData.api added; stringData.host removed";
    for (const f of ["by-sops.yaml", "by-seal.yaml"]) {
      const d = sb.seal(["diff", "orig.yaml", f]);
      expect(d).toEqual({
        exitCode: 0,
        stderr: "",
        stdout: `${f}: SOPS: 1 changed, 1 added, 1 removed, 1 unchanged\n  changed  stringData.password\n  added    stringData.api\n  removed  stringData.host\n`,
      });
      const withKey = sb.seal(["diff", "--key", "k.txt", "orig.yaml", f, "-o", "json"]);
      expect(withKey.exitCode).toBe(0);
      const json = JSON.parse(withKey.stdout) as { files: { diff: { keys: { path: string; change: string }[]; decrypted: boolean } }[] };
      expect(json.files[0]!.diff.decrypted).toBe(true);
      expect(json.files[0]!.diff.keys.map((k) => `${k.path} ${k.change}`).join("; ")).toBe(expected);
      expectNoCanary(d.stdout, d.stderr, withKey.stdout, withKey.stderr);
    }
    expectNoCanary(set1.stdout, set1.stderr, set2.stderr, unset.stderr);
    expect(filesWithCanary(sb.dir)).toEqual([]);
  });

  it("a rotated data key reads as re-encrypted without a key, and as unchanged values with one; --exit-code as git diff", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    sopsEncrypt(sb, r, SECRET, "orig.yaml");
    copyFileSync(path.join(sb.dir, "orig.yaml"), path.join(sb.dir, "rotated.yaml"));
    expect(sops(sb, ["rotate", "-i", "rotated.yaml"])).toMatchObject({ exitCode: 0 });

    expect(sb.seal(["diff", "--exit-code", "orig.yaml", "rotated.yaml"])).toEqual({
      exitCode: 1,
      stderr: "",
      stdout: "rotated.yaml: SOPS: re-encrypted: every value's ciphertext changed, values not comparable without a key, 3 not comparable\n",
    });
    expect(sb.seal(["diff", "--key", "k.txt", "orig.yaml", "rotated.yaml"])).toEqual({
      exitCode: 0,
      stderr: "",
      stdout: "rotated.yaml: SOPS: re-encrypted with a new data key, 3 unchanged, values compared with a key\n",
    });
    expect(sb.seal(["diff", "--exit-code", "orig.yaml", "orig.yaml"])).toEqual({ exitCode: 0, stderr: "", stdout: "no encrypted files changed\n" });
    const md = sb.seal(["diff", "-o", "markdown", "orig.yaml", "rotated.yaml"]);
    expect(md.exitCode).toBe(0);
    expect(md.stdout).toContain("- `rotated.yaml`: SOPS: re-encrypted: every value's ciphertext changed, values not comparable without a key");
  });

  it("refuses a key path that is a map, a missing key to unset, and a file no key opens, leaving the file as it was", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    sb.ageKeygen("other.txt");
    sopsEncrypt(sb, r, SECRET, "s.yaml");
    const before = readFileSync(path.join(sb.dir, "s.yaml"), "utf8");
    expect(sb.seal(["set", "--key", "k.txt", "s.yaml", "stringData"], { input: "x" })).toEqual({
      exitCode: 2, stdout: "", stderr: "seal set: stringData: is a map, not a value\n",
    });
    expect(sb.seal(["unset", "--key", "k.txt", "s.yaml", "stringData.nope"])).toEqual({
      exitCode: 2, stdout: "", stderr: "seal unset: stringData.nope: no such key in s.yaml\n",
    });
    const wrong = sb.seal(["set", "--key", "other.txt", "s.yaml", "stringData.password"], { input: NEW_CANARY });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/^seal set: s\.yaml: /);
    expectNoCanary(wrong.stderr);
    expect(readFileSync(path.join(sb.dir, "s.yaml"), "utf8")).toBe(before);
  });
});

/** Runs seal on a pseudo-terminal (util-linux `script`), typing `answer` once the prompt is shown. */
function sealOnTerminal(sb: Sandbox, args: string[], answer: string): Promise<{ exitCode: number; screen: string }> {
  const command = [process.execPath, sealJs, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: sb.dir, env: { ...process.env, ...sb.env } as NodeJS.ProcessEnv });
  let screen = "";
  let typed = false;
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      screen += d.toString();
      if (!typed && screen.includes("(not echoed): ")) {
        typed = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ exitCode: code ?? -1, screen }));
  });
}

describe("seal set under data: of a Secret", () => {
  it("base64-encodes the value (--from-file bytes as they are), adding the data: map when missing", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    sopsEncrypt(sb, r, SECRET, "s.yaml");
    writeFileSync(path.join(sb.dir, "blob.bin"), Buffer.from([0, 1, 2, 255]));
    expect(sb.seal(["set", "--key", "k.txt", "--from-file", "blob.bin", "s.yaml", "data.tls.key"])).toEqual({
      exitCode: 0, stdout: "", stderr: "s.yaml: added data.\"tls.key\" (base64-encoded, as data of a Secret); other values' ciphertexts unchanged, MAC updated\n",
    });
    expect(sb.seal(["set", "--key", "k.txt", "s.yaml", "data.tls.crt"], { input: "cert\n" }).exitCode).toBe(0);
    const dec = sops(sb, ["-d", "s.yaml"]);
    expect(dec).toMatchObject({ exitCode: 0, stderr: "" });
    expect(dec.stdout).toBe(`${SECRET}data:\n    tls.key: AAEC/w==\n    tls.crt: Y2VydA==\n`);
  });
});

describe("seal set on a terminal", () => {
  it("prompts without echoing what is typed, and sops reads the value", async () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    sopsEncrypt(sb, r, SECRET, "s.yaml");
    const res = await sealOnTerminal(sb, ["set", "--key", "k.txt", "s.yaml", "stringData.password"], NEW_CANARY);
    expect(res.exitCode).toBe(0);
    expect(res.screen).toBe("value for stringData.password (not echoed): \r\ns.yaml: changed stringData.password; other values' ciphertexts unchanged, MAC updated\r\n");
    expect(sops(sb, ["-d", "s.yaml"]).stdout).toContain(`password: ${NEW_CANARY}\n`);
    expect(filesWithCanary(sb.dir)).toEqual([]);
  });
});

describe("seal diff --git", () => {
  it("lists per file what a range of commits changed: SOPS keys and SealedSecret items, for a PR comment", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    const git = (...args: string[]) => run(testAssets().git, ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: sb.dir, env: sb.env });
    expect(git("init", "-q", "-b", "main").exitCode).toBe(0);
    expect(sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", "cluster"]).exitCode).toBe(0);
    const cert = path.join(sb.dir, "cluster/tls.crt");
    sopsEncrypt(sb, r, SECRET, "db.enc.yaml");
    const secret2 = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: demo\nstringData:\n  token: ${CANARY}\n  url: https://x\n`;
    writeFileSync(path.join(sb.dir, "api.sealed.yaml"), kubeseal(["--cert", cert, "-o", "yaml"], secret2).stdout);
    writeFileSync(path.join(sb.dir, "app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: fast\n");
    git("add", ".");
    expect(git("commit", "-q", "-m", "base").exitCode).toBe(0);

    // The PR: one SOPS value changed with sops, one SealedSecret item replaced with kubeseal --merge-into.
    expect(run(testAssets().sops, ["set", "--value-stdin", "db.enc.yaml", '["stringData"]["password"]'], {
      input: JSON.stringify(NEW_CANARY), cwd: sb.dir, env: { ...sb.env, SOPS_AGE_KEY_FILE: path.join(sb.dir, "k.txt") },
    })).toMatchObject({ exitCode: 0 });
    const merge = kubeseal(["--cert", cert, "--merge-into", path.join(sb.dir, "api.sealed.yaml")], `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: demo\nstringData:\n  token: ${NEW_CANARY}\n`);
    expect(merge.exitCode).toBe(0);
    writeFileSync(path.join(sb.dir, "app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: slow\n");
    git("checkout", "-q", "-b", "feature");
    git("commit", "-qam", "rotate the db password and the api token");

    const text = sb.seal(["diff", "--git", "main...feature"]);
    expect(text).toEqual({
      exitCode: 0,
      stderr: "",
      stdout: [
        "api.sealed.yaml: SealedSecret demo/api: items 1 changed, 1 unchanged",
        "  changed (re-sealed)  demo/api token",
        "db.enc.yaml: SOPS: 1 changed, 2 unchanged",
        "  changed  stringData.password",
        "",
      ].join("\n"),
    });
    // Limited to a path, as git diff.
    expect(sb.seal(["diff", "--git", "main..feature", "db.enc.yaml", "--exit-code"]).stdout).toBe("db.enc.yaml: SOPS: 1 changed, 2 unchanged\n  changed  stringData.password\n");
    const md = sb.seal(["diff", "--git", "main...feature", "-o", "markdown"]);
    expect(md.stdout).toContain("| `db.enc.yaml` | `stringData.password` | changed |");
    expect(md.stdout).toContain("| `api.sealed.yaml` | `demo/api token` | changed (re-sealed) |");
    // With the cluster's key, a SealedSecret item is opened and compared too.
    const keyed = sb.seal(["diff", "--git", "main", "--key", "cluster/tls.key", "--key", "k.txt", "-o", "json"]);
    const files = (JSON.parse(keyed.stdout) as { files: { file: string; objects?: { itemsChanged: string[]; decrypted: boolean }[] }[] }).files;
    expect(files.find((f) => f.file === "api.sealed.yaml")!.objects![0]).toMatchObject({ itemsChanged: ["token"], decrypted: true });
    expect(kubesealUnseal(readFileSync(path.join(sb.dir, "api.sealed.yaml"), "utf8"), [path.join(sb.dir, "cluster/tls.key")]).exitCode).toBe(0);

    expect(sb.seal(["diff", "--git", "nope..feature"])).toEqual({ exitCode: 2, stdout: "", stderr: "seal diff: nope: not a revision in this repository\n" });
    expectNoCanary(text.stdout, md.stdout, keyed.stdout, keyed.stderr);
  });
});

describe("seal set on a SealedSecret", () => {
  it("re-seals one item with the certificate only; kubeseal opens it and the other items stay byte for byte", () => {
    const sb = sandbox();
    expect(sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", "cluster"]).exitCode).toBe(0);
    const cert = path.join(sb.dir, "cluster/tls.crt");
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: demo\nstringData:\n  token: ${CANARY}\n  url: https://x\n`;
    const file = path.join(sb.dir, "api.sealed.yaml");
    writeFileSync(file, kubeseal(["--cert", cert, "-o", "yaml"], secret).stdout);
    const before = readFileSync(file, "utf8");
    const res = sb.seal(["set", "--cert", "cluster/tls.crt", "api.sealed.yaml", "token"], { input: NEW_CANARY });
    expect(res).toEqual({ exitCode: 0, stdout: "", stderr: "api.sealed.yaml: re-sealed item token; other items unchanged\n" });
    const added = sb.seal(["set", "--cert", "cluster/tls.crt", "api.sealed.yaml", "extra"], { input: API_CANARY });
    expect(added.stderr).toBe("api.sealed.yaml: added item extra; other items unchanged\n");
    const after = readFileSync(file, "utf8");
    const url = (t: string) => /url: (\S+)/.exec(t)![1];
    expect(url(after)).toBe(url(before));
    const opened = kubesealUnseal(after, [path.join(sb.dir, "cluster/tls.key")]);
    expect(opened.exitCode).toBe(0);
    const data = (JSON.parse(opened.stdout) as { data: Record<string, string> }).data;
    expect(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]))).toEqual({ token: NEW_CANARY, url: "https://x", extra: API_CANARY });
    expect(sb.seal(["unset", "api.sealed.yaml", "extra"]).stderr).toBe("api.sealed.yaml: removed item extra; other items unchanged\n");
    expect(filesWithCanary(sb.dir)).toEqual([]);
  });
});
