/**
 * Repository-wide key changes, as at an offboarding: `seal updatekeys --all` over a tree of files made by
 * the real sops (checked by the real sops afterwards, with the new key and the removed one), and
 * `seal reencrypt --all` over SealedSecrets made by the real kubeseal (opened by kubeseal --recovery-unseal).
 * .gitignore is honoured; files that cannot be opened are named and the exit code is 1.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";
import { kubeseal, kubesealUnseal, sandbox, type Sandbox } from "./seal-helpers.js";

const CANARY = "canary-bulk-51d2";
const FILES = 50;

const secret = (name: string) => `apiVersion: v1
kind: Secret
metadata:
    name: ${name}
    namespace: demo
stringData:
    password: ${CANARY}-${name}
`;

function git(sb: Sandbox, ...args: string[]) {
  return run(testAssets().git, ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: sb.dir, env: sb.env });
}

/** The real sops, plaintext from stdin, recipients from the .sops.yaml that matches `file`. */
function sopsEncrypt(sb: Sandbox, file: string, plain: string, age?: string): void {
  const args = ["-e", "--filename-override", file, ...(age ? ["--age", age] : []), "/dev/stdin"];
  // Through `cat`, so sops' /dev/stdin is a pipe (node hands children a socket, which cannot be opened).
  const res = run("/bin/sh", ["-c", 'cat | "$0" "$@"', testAssets().sops, ...args], { input: plain, cwd: sb.dir, env: sb.env });
  if (res.exitCode !== 0) throw new Error(`sops -e ${file}: ${res.stderr}`);
  mkdirSync(path.dirname(path.join(sb.dir, file)), { recursive: true });
  writeFileSync(path.join(sb.dir, file), res.stdout);
}

function sopsDecrypt(sb: Sandbox, file: string, key: string) {
  return run(testAssets().sops, ["-d", file], { cwd: sb.dir, env: { ...sb.env, SOPS_AGE_KEY_FILE: path.join(sb.dir, key) } });
}

const rules = (...recipients: string[]) => `creation_rules:\n  - path_regex: \\.ya?ml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipients.join(",")}\n`;

describe("seal updatekeys --all", () => {
  it(`re-wraps ${FILES} sops-made files for the rule's recipients: the new key opens every one, the removed one none`, () => {
    const sb = sandbox();
    const alice = sb.ageKeygen("alice.txt");
    const bob = sb.ageKeygen("bob.txt");
    const carol = sb.ageKeygen("carol.txt");
    git(sb, "init", "-q");
    writeFileSync(path.join(sb.dir, ".sops.yaml"), rules(alice, bob));
    writeFileSync(path.join(sb.dir, ".gitignore"), "scratch/\n");
    const names = Array.from({ length: FILES }, (_, i) => `apps/app${i % 5}/secret-${i}.yaml`);
    for (const f of names) sopsEncrypt(sb, f, secret(path.basename(f, ".yaml")));
    sopsEncrypt(sb, "scratch/ignored.yaml", secret("ignored"));
    const ignoredBefore = readFileSync(path.join(sb.dir, "scratch/ignored.yaml"), "utf8");

    // Bob leaves, Carol joins.
    writeFileSync(path.join(sb.dir, ".sops.yaml"), rules(alice, carol));
    const dry = sb.seal(["updatekeys", "--all", "--dry-run", "--key", "alice.txt", "."]);
    expect(dry.exitCode).toBe(0);
    expect(dry.stderr.split("\n").filter((l) => l.includes(": would update recipients"))).toHaveLength(FILES);
    expect(dry.stderr).toContain(`seal updatekeys: ${FILES} SOPS files, ${FILES} would be updated, 0 already up to date\n`);
    expect(sopsDecrypt(sb, names[0]!, "carol.txt").exitCode).not.toBe(0);

    const res = sb.seal(["updatekeys", "--all", "--rotate", "--key", "alice.txt", "."]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain(`seal updatekeys: ${FILES} SOPS files, ${FILES} updated, 0 already up to date\n`);
    expect(res.stderr).not.toContain("scratch/");
    for (const f of names) {
      const withCarol = sopsDecrypt(sb, f, "carol.txt");
      expect(withCarol).toMatchObject({ exitCode: 0, stderr: "" });
      expect(withCarol.stdout).toContain(`password: ${CANARY}-${path.basename(f, ".yaml")}`);
      expect(sopsDecrypt(sb, f, "bob.txt").exitCode).not.toBe(0);
    }
    expect(readFileSync(path.join(sb.dir, "scratch/ignored.yaml"), "utf8")).toBe(ignoredBefore);
    // Run again: nothing left to do.
    expect(sb.seal(["updatekeys", "--all", "--key", "alice.txt", "."]).stderr).toBe(`seal updatekeys: ${FILES} SOPS files, 0 updated, ${FILES} already up to date\n`);
    for (const o of [dry.stdout, dry.stderr, res.stderr]) expect(o).not.toContain(CANARY);
  });

  it("keeps going past files it cannot open, naming those only a retired key opens apart, and exits 1", () => {
    const sb = sandbox();
    const alice = sb.ageKeygen("alice.txt");
    const bob = sb.ageKeygen("bob.txt");
    const carol = sb.ageKeygen("carol.txt");
    writeFileSync(path.join(sb.dir, ".sops.yaml"), rules(alice, bob));
    sopsEncrypt(sb, "k8s/ok.yaml", secret("ok"));
    sopsEncrypt(sb, "k8s/bob-only.yaml", secret("bob-only"), bob);
    sopsEncrypt(sb, "k8s/carol-only.yaml", secret("carol-only"), carol);
    writeFileSync(path.join(sb.dir, ".sops.yaml"), rules(alice, carol));

    // seal check warns about the recipient no rule names any more, without failing.
    const check = sb.seal(["check", "k8s"]);
    expect(check.exitCode).toBe(0);
    expect(check.stderr).toContain(`warning: k8s/ok.yaml: encrypted for ${bob}, which no .sops.yaml rule names any more; run \`seal updatekeys --all\``);

    const res = sb.seal(["updatekeys", "--all", "--key", "alice.txt"]);
    expect(res.exitCode).toBe(1);
    const short = (r: string) => `${r.slice(0, 12)}…${r.slice(-6)}`;
    expect(res.stderr).toBe([
      `k8s/ok.yaml: updated recipients +${short(carol)} -${short(bob)}`,
      "seal updatekeys: 3 SOPS files, 1 updated, 0 already up to date",
      "only a retired key can still open 1 file (ask its holder to run seal updatekeys --all, or re-create them):",
      `  k8s/bob-only.yaml (${short(bob)})`,
      "could not open 1 file:",
      `  k8s/carol-only.yaml: none of your keys opens it (recipients ${short(carol)})`,
      "note: a removed recipient may still hold the old data keys; add --rotate to replace them too",
      "",
    ].join("\n"));
    expect(sopsDecrypt(sb, "k8s/ok.yaml", "carol.txt").exitCode).toBe(0);
    expect(sb.seal(["check", "k8s"]).stderr).not.toContain("warning: k8s/ok.yaml");
  });
});

describe("seal reencrypt --all", () => {
  it("re-seals every kubeseal-made SealedSecret Git sees to the new certificate; kubeseal opens them with the new key only", () => {
    const sb = sandbox();
    for (const k of ["old", "new", "stranger"]) expect(sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", k]).exitCode).toBe(0);
    git(sb, "init", "-q");
    writeFileSync(path.join(sb.dir, ".gitignore"), "scratch/\n");
    const seal = (cert: string, name: string) => {
      const res = kubeseal(["--cert", path.join(sb.dir, cert, "tls.crt"), "-o", "yaml"], secret(name));
      expect(res.exitCode).toBe(0);
      return res.stdout;
    };
    const files = ["k8s/a.sealed.yaml", "k8s/b.sealed.yaml", "k8s/sub/c.sealed.yaml"];
    for (const f of files) {
      mkdirSync(path.dirname(path.join(sb.dir, f)), { recursive: true });
      writeFileSync(path.join(sb.dir, f), seal("old", path.basename(f, ".sealed.yaml")));
    }
    mkdirSync(path.join(sb.dir, "scratch"));
    writeFileSync(path.join(sb.dir, "scratch/x.sealed.yaml"), seal("old", "x"));
    writeFileSync(path.join(sb.dir, "k8s/foreign.sealed.yaml"), seal("stranger", "foreign"));
    const ignoredBefore = readFileSync(path.join(sb.dir, "scratch/x.sealed.yaml"), "utf8");

    const firstBefore = readFileSync(path.join(sb.dir, files[0]!), "utf8");
    const dry = sb.seal(["reencrypt", "--all", "--dry-run", "--cert", "new/tls.crt", "--key", "old/tls.key"]);
    expect(dry.exitCode).toBe(1);
    expect(dry.stderr).toMatch(/^seal reencrypt: 4 files with SealedSecrets, 3 would be re-sealed, /m);
    expect(readFileSync(path.join(sb.dir, files[0]!), "utf8")).toBe(firstBefore);
    const res = sb.seal(["reencrypt", "--all", "--cert", "new/tls.crt", "--key", "old/tls.key", "."]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/^seal reencrypt: 4 files with SealedSecrets, 3 re-sealed, 0 already sealed to key SHA256:\S+$/m);
    expect(res.stderr).toMatch(/could not open 1 file with the given keys:\n {2}k8s\/foreign\.sealed\.yaml: /);
    for (const f of files) {
      const text = readFileSync(path.join(sb.dir, f), "utf8");
      const opened = kubesealUnseal(text, [path.join(sb.dir, "new/tls.key")]);
      expect(opened.exitCode).toBe(0);
      const name = path.basename(f, ".sealed.yaml");
      expect(Buffer.from((JSON.parse(opened.stdout) as { data: { password: string } }).data.password, "base64").toString()).toBe(`${CANARY}-${name}`);
      expect(kubesealUnseal(text, [path.join(sb.dir, "old/tls.key")]).exitCode).not.toBe(0);
    }
    expect(readFileSync(path.join(sb.dir, "scratch/x.sealed.yaml"), "utf8")).toBe(ignoredBefore);
    for (const o of [dry.stderr, res.stderr]) expect(o).not.toContain(CANARY);
  });
});
