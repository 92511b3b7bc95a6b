/** `seal` as a user runs it: help on every command, keygen, encrypt/decrypt with the real sops and age. */
import { describe, expect, it } from "@jest/globals";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { CoreV1Api } from "@kubernetes/client-node";
import { parseAgeIdentities } from "../../src/crypto/age.js";
import { decryptSopsFile } from "../../src/crypto/sops/index.js";
import { testAssets } from "../env/assets.js";
import { adminKubeConfig, createNamespace } from "../env/kube.js";
import { run } from "../env/run.js";
import { testEnvState } from "../env/state.js";
import { sandbox } from "./seal-helpers.js";

const SECRET = `apiVersion: v1
kind: Secret
metadata:
    name: db
    namespace: demo
stringData:
    password: hunter2
`;

describe("seal --help", () => {
  const commands = ["keygen", "encrypt", "decrypt", "secret", "rotate", "updatekeys", "reencrypt", "recipients", "check"];

  it("lists every command", () => {
    const res = sandbox().seal(["--help"]);
    expect(res.exitCode).toBe(0);
    for (const c of commands) expect(res.stdout).toMatch(new RegExp(`^ {2}${c} `, "m"));
  });

  it.each(commands)("%s --help shows usage and an example", (c) => {
    const res = sandbox().seal([c, "--help"]);
    expect(res).toMatchObject({ exitCode: 0, stderr: "" });
    expect(res.stdout).toContain(`Usage: seal ${c}`);
    expect(res.stdout).toMatch(/Examples?:\n {2}\$ seal /);
  });
});

describe("seal keygen", () => {
  it("writes a 0600 key file the real age CLI accepts and prints the recipient", () => {
    const sb = sandbox();
    const res = sb.seal(["keygen", "-o", "me.agekey"]);
    expect(res.exitCode).toBe(0);
    const recipient = res.stdout.trim();
    expect(recipient).toMatch(/^age1[a-z0-9]{58}$/);
    expect(res.stderr).toContain("me.agekey (mode 0600)");
    const file = path.join(sb.dir, "me.agekey");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(new RegExp(`^# created: .*\\n# public key: ${recipient}\\nAGE-SECRET-KEY-1[0-9A-Z]+\\n$`));
    // The real age encrypts to the printed recipient and decrypts with the written identity.
    const enc = run(testAssets().age, ["-r", recipient, "-a"], { input: "hello" });
    const dec = run(testAssets().age, ["-d", "-i", file], { input: enc.stdout });
    expect(dec).toMatchObject({ exitCode: 0, stdout: "hello" });
  });

  it("refuses to overwrite an existing key file", () => {
    const sb = sandbox();
    expect(sb.seal(["keygen", "-o", "k"]).exitCode).toBe(0);
    const res = sb.seal(["keygen", "-o", "k"]);
    expect(res).toMatchObject({ exitCode: 2, stdout: "" });
    expect(res.stderr).toMatch(/^seal keygen: k: already exists/);
  });

  it("without -o, appends to the sops default key file, which decrypt then uses", () => {
    const sb = sandbox();
    const a = sb.seal(["keygen"]).stdout.trim();
    const b = sb.seal(["keygen"]).stdout.trim();
    const keys = readFileSync(path.join(sb.env.HOME!, ".config/sops/age/keys.txt"), "utf8");
    expect(keys).toContain(`# public key: ${a}`);
    expect(keys).toContain(`# public key: ${b}`);
    writeFileSync(path.join(sb.dir, "s.yaml"), SECRET);
    const enc = sb.seal(["encrypt", "--age", b, "s.yaml"]);
    expect(sb.seal(["decrypt", "-"], { input: enc.stdout })).toMatchObject({ exitCode: 0, stdout: SECRET, stderr: "" });
  });

  it("--secret prints a key Secret manifest and writes no file", () => {
    const sb = sandbox();
    const res = sb.seal(["keygen", "--secret", "sealsync-age", "-n", "apps"]);
    expect(res.exitCode).toBe(0);
    const m = parse(res.stdout) as { kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; data: Record<string, string> };
    expect(m).toMatchObject({ kind: "Secret", metadata: { name: "sealsync-age", namespace: "apps", labels: { "sealsync.dev/key": "active" } } });
    const keyText = Buffer.from(m.data["age.agekey"]!, "base64").toString("utf8");
    const recipient = /public key: (age1\S+)/.exec(res.stderr)![1]!;
    expect(keyText).toContain(`# public key: ${recipient}`);
    expect(res.stderr).toContain("do NOT commit it");
    expect(() => statSync(path.join(sb.env.HOME!, ".config/sops/age/keys.txt"))).toThrow();
  });
});

describe("seal keygen --secret on a real cluster", () => {
  it("kubectl applies the manifest, and the stored identity opens files encrypted to the printed recipient", async () => {
    const sb = sandbox();
    const ns = await createNamespace("seal");
    const res = sb.seal(["keygen", "--secret", "sealsync-age-key", "-n", ns]);
    const recipient = /public key: (age1\S+)/.exec(res.stderr)![1]!;
    const apply = run(testAssets().kubectl, ["--kubeconfig", testEnvState().controlPlane.adminKubeconfig, "apply", "-f", "-"], { input: res.stdout });
    expect(apply).toMatchObject({ exitCode: 0, stdout: "secret/sealsync-age-key created\n" });
    const stored = await adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedSecret({ name: "sealsync-age-key", namespace: ns });
    expect(stored.metadata?.labels).toEqual({ "sealsync.dev/key": "active" });
    const identities = parseAgeIdentities(Buffer.from(stored.data!["age.agekey"]!, "base64").toString("utf8"), "cluster");
    const enc = sb.seal(["encrypt", "--age", recipient, "-"], { input: SECRET });
    const out = await decryptSopsFile(Buffer.from(enc.stdout), { format: "yaml", file: "s.yaml", identities });
    expect(out.plaintext.revealText()).toBe(SECRET);
  });
});

describe("seal encrypt / decrypt", () => {
  it("encrypts to --age on stdout; the real sops decrypts it; seal decrypt prints the same", () => {
    const sb = sandbox();
    const recipient = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "secret.yaml"), SECRET);
    const enc = sb.seal(["encrypt", "--age", recipient, "secret.yaml"]);
    expect(enc).toMatchObject({ exitCode: 0, stderr: "" });
    expect(enc.stdout).toContain("password: ENC[AES256_GCM,");
    expect(enc.stdout).toContain("name: db"); // kind: Secret → only data/stringData encrypted
    expect(enc.stdout).toContain("encrypted_regex: ^(data|stringData)$");
    writeFileSync(path.join(sb.dir, "secret.enc.yaml"), enc.stdout);
    expect(sb.sops(["-d", "secret.enc.yaml"], { env: { SOPS_AGE_KEY_FILE: "k.txt" } })).toMatchObject({ exitCode: 0, stdout: SECRET });
    expect(sb.seal(["decrypt", "--key", "k.txt", "secret.enc.yaml"])).toEqual({ exitCode: 0, stdout: SECRET, stderr: "" });
  });

  it("takes recipients and selectors from the matching .sops.yaml creation rule", () => {
    const sb = sandbox();
    const dev = sb.ageKeygen("dev.txt");
    const prod = sb.ageKeygen("prod.txt");
    writeFileSync(
      path.join(sb.dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: prod/.*\\.yaml$\n    age: ${prod}\n  - path_regex: \\.yaml$\n    age: [${dev}]\n    unencrypted_regex: ^(metadata|kind|apiVersion)$\n`,
    );
    writeFileSync(path.join(sb.dir, "s.yaml"), SECRET);
    const res = sb.seal(["encrypt", "-i", "s.yaml"]);
    expect(res).toMatchObject({ exitCode: 0, stdout: "" });
    expect(res.stderr).toContain("creation_rules[1]");
    const text = readFileSync(path.join(sb.dir, "s.yaml"), "utf8");
    expect(text).toContain(`recipient: ${dev}`);
    expect(text).toContain("unencrypted_regex: ^(metadata|kind|apiVersion)$");
    expect(sb.sops(["-d", "s.yaml"], { env: { SOPS_AGE_KEY_FILE: "dev.txt" } }).stdout).toBe(SECRET);
    // The real sops with the same config picks the same rule.
    writeFileSync(path.join(sb.dir, "t.yaml"), SECRET);
    expect(sb.sops(["-e", "t.yaml"]).stdout).toContain(`recipient: ${dev}`);
  });

  it("explains a missing creation rule", () => {
    const sb = sandbox();
    writeFileSync(path.join(sb.dir, ".sops.yaml"), "creation_rules:\n  - path_regex: ^nothing$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n");
    writeFileSync(path.join(sb.dir, "s.yaml"), SECRET);
    const res = sb.seal(["encrypt", "s.yaml"]);
    expect(res).toMatchObject({ exitCode: 1, stdout: "" });
    expect(res.stderr).toMatch(/^seal encrypt: .*\.sops\.yaml: no creation_rules entry matches s\.yaml; add a rule .* or pass --age\n$/);
  });

  it("refuses an already encrypted file and a run without recipients", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), SECRET);
    expect(sb.seal(["encrypt", "-i", "--age", r, "s.yaml"]).exitCode).toBe(0);
    const again = sb.seal(["encrypt", "--age", r, "s.yaml"]);
    expect(again).toMatchObject({ exitCode: 2, stdout: "" });
    expect(again.stderr).toContain("already encrypted");
    writeFileSync(path.join(sb.dir, "p.yaml"), SECRET);
    const none = sb.seal(["encrypt", "p.yaml"]);
    expect(none).toMatchObject({ exitCode: 2, stdout: "" });
    expect(none.stderr).toContain("no recipients: pass --age");
  });

  it("decrypts files written by the real sops, with keys from SOPS_AGE_KEY_FILE and SOPS_AGE_KEY", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "app.json"), '{"user": "admin", "port": 5432, "ratio": 1.5}\n');
    const enc = sb.sops(["-e", "--age", r, "app.json"]);
    writeFileSync(path.join(sb.dir, "app.enc.json"), enc.stdout);
    const expected = sb.sops(["-d", "app.enc.json"], { env: { SOPS_AGE_KEY_FILE: "k.txt" } }).stdout;
    expect(sb.seal(["decrypt", "app.enc.json"], { env: { SOPS_AGE_KEY_FILE: "k.txt" } })).toEqual({ exitCode: 0, stdout: expected, stderr: "" });
    const keyText = readFileSync(path.join(sb.dir, "k.txt"), "utf8");
    expect(sb.seal(["decrypt", "app.enc.json"], { env: { SOPS_AGE_KEY: keyText } })).toEqual({ exitCode: 0, stdout: expected, stderr: "" });
  });

  it("with a wrong key, fails naming both sides and prints nothing on stdout", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    const other = sb.ageKeygen("other.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), sb.seal(["encrypt", "--age", r, "-"], { input: SECRET }).stdout);
    const res = sb.seal(["decrypt", "--key", "other.txt", "s.yaml"]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe(
      `seal decrypt: s.yaml: cannot decrypt the data key: the file is encrypted to ${r}; your keys: ${other}. ` +
        "Use a key file holding one of those identities (--key, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY), or ask someone who has one to run `seal updatekeys --add-age <your recipient>`.\n",
    );
  });

  it("without any key, says where keys are looked for", () => {
    const sb = sandbox();
    const res = sb.seal(["decrypt", "-"], { input: "a: b\n" });
    expect(res).toMatchObject({ exitCode: 2, stdout: "" });
    expect(res.stderr).toMatch(/^seal decrypt: no age key found: pass --key FILE, or set SOPS_AGE_KEY_FILE/);
  });

  it("-o writes the plaintext with mode 0600, only when asked", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    writeFileSync(path.join(sb.dir, "s.yaml"), sb.seal(["encrypt", "--age", r, "-"], { input: SECRET }).stdout);
    const res = sb.seal(["decrypt", "--key", "k.txt", "-o", "plain.yaml", "s.yaml"]);
    expect(res).toMatchObject({ exitCode: 0, stdout: "" });
    expect(statSync(path.join(sb.dir, "plain.yaml")).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(sb.dir, "plain.yaml"), "utf8")).toBe(SECRET);
  });

  it("a tampered file fails with a MAC error and exit 1", () => {
    const sb = sandbox();
    const r = sb.ageKeygen("k.txt");
    const enc = sb.seal(["encrypt", "--age", r, "-"], { input: SECRET }).stdout.replace("name: db", "name: evil");
    const res = sb.seal(["decrypt", "--key", "k.txt", "-"], { input: enc });
    expect(res).toMatchObject({ exitCode: 1, stdout: "" });
    expect(res.stderr).toMatch(/^seal decrypt: stdin\.yaml: MAC mismatch/);
  });
});
