/**
 * `seal` with SealedSecrets, as a user runs it, against the real kubeseal (v0.36): key pairs kubeseal
 * seals with, SealedSecrets kubeseal's --recovery-unseal opens, kubeseal's output opened by `seal decrypt`,
 * key rotation with `seal reencrypt`, `--raw`, expired certificates, and `seal check` on sealed data.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { generateSealingKeyPair } from "../../src/crypto/sealed/index.js";
import { kubeseal, kubesealUnseal, sandbox, type Sandbox } from "./seal-helpers.js";

const SECRET = `# database credentials
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: demo
type: Opaque
stringData:
  username: admin
  password: hunter2-canary
data:
  blob: AAEC/w==
`;

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings # kept as written
data:
  mode: fast
`;

type Obj = { metadata: Record<string, unknown>; data?: Record<string, string | null>; spec?: { encryptedData: Record<string, string> }; kind?: string };

/** The decoded values of a Secret's data (kubeseal prints an empty value as null). */
function values(secret: Obj): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v ?? "", "base64").toString("latin1")]));
}

const PLAIN = { username: "admin", password: "hunter2-canary", blob: "\x00\x01\x02\xff" };

interface Pair {
  key: string;
  cert: string;
}

/** `seal keygen --rsa` into DIR (2048 bits to keep the suite quick). */
function keygen(sb: Sandbox, dir: string): Pair {
  const res = sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", dir]);
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return { key: path.join(sb.dir, dir, "tls.key"), cert: path.join(sb.dir, dir, "tls.crt") };
}

/** kubeseal --recovery-unseal, which must succeed; the Secret it prints. */
function unsealWithKubeseal(sealed: string, keyFiles: string[]): Obj {
  const res = kubesealUnseal(sealed, keyFiles);
  if (res.exitCode !== 0) throw new Error(`kubeseal --recovery-unseal: ${res.stderr}`);
  return JSON.parse(res.stdout) as Obj;
}

describe("seal keygen --rsa", () => {
  it("writes tls.key (0600) and tls.crt; the real kubeseal --cert seals with it, and seal decrypt opens what kubeseal sealed", () => {
    const sb = sandbox();
    const res = sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", "keys"]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(
      /^wrote keys\/tls\.key \(mode 0600\) and keys\/tls\.crt: RSA-2048 key SHA256:[A-Za-z0-9+/]{43}, certificate valid until \d{4}-\d\d-\d\d\n/,
    );
    expect(res.stderr).toContain("put keys/tls.key in the cluster (never commit it)");
    expect(statSync(path.join(sb.dir, "keys/tls.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(sb.dir, "keys/tls.key"), "utf8")).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(readFileSync(path.join(sb.dir, "keys/tls.crt"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----\r?\n/);

    const sealed = kubeseal(["--cert", path.join(sb.dir, "keys/tls.crt"), "-o", "yaml"], SECRET);
    expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
    writeFileSync(path.join(sb.dir, "db.sealed.yaml"), sealed.stdout);
    // kubeseal's own unsealing accepts the key too (the key file format).
    expect(values(unsealWithKubeseal(sealed.stdout, [path.join(sb.dir, "keys/tls.key")]))).toEqual(PLAIN);

    const dec = sb.seal(["decrypt", "--key", "keys/tls.key", "db.sealed.yaml"]);
    expect(dec).toMatchObject({ exitCode: 0, stderr: "" });
    const secret = parse(dec.stdout) as Obj;
    expect(secret).toMatchObject({ apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "demo" }, type: "Opaque" });
    expect(values(secret)).toEqual(PLAIN);
  });

  it("never overwrites a key, and refuses key sizes the controller does not use", () => {
    const sb = sandbox();
    keygen(sb, "keys");
    const before = readFileSync(path.join(sb.dir, "keys/tls.key"), "utf8");
    expect(sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", "keys"])).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "seal keygen: keys/tls.key: already exists; choose another --out-dir (it may hold a key you still need)\n",
    });
    expect(readFileSync(path.join(sb.dir, "keys/tls.key"), "utf8")).toBe(before);
    const small = sb.seal(["keygen", "--rsa", "--bits", "1024"]);
    expect(small.exitCode).toBe(2);
    expect(small.stderr).toContain("use 2048, 3072 or 4096");
    expect(sb.seal(["keygen", "--rsa", "--pq"])).toMatchObject({ exitCode: 2, stderr: "seal keygen: --pq does not apply to --rsa\n" });
  });

  it("--secret prints the key Secret manifest, which both seal decrypt and kubeseal --recovery-private-key take as a key", () => {
    const sb = sandbox();
    const res = sb.seal(["keygen", "--rsa", "--bits", "2048", "--secret", "sealsync-key-1", "-n", "apps"]);
    expect(res.exitCode).toBe(0);
    expect(res.stderr).toContain("do NOT commit it: it holds the private key");
    const manifest = parse(res.stdout) as { metadata: { name: string; namespace: string; labels: Record<string, string> }; type: string; data: Record<string, string> };
    expect(manifest).toMatchObject({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: "sealsync-key-1", namespace: "apps", labels: { "sealsync.dev/key": "active", "sealedsecrets.bitnami.com/sealed-secrets-key": "active" } },
    });
    writeFileSync(path.join(sb.dir, "key-secret.yaml"), res.stdout, { mode: 0o600 });
    writeFileSync(path.join(sb.dir, "tls.crt"), Buffer.from(manifest.data["tls.crt"]!, "base64"));

    const sealed = sb.seal(["encrypt", "--format", "sealed", "--cert", "tls.crt", "-"], { input: SECRET });
    expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
    writeFileSync(path.join(sb.dir, "db.sealed.yaml"), sealed.stdout);
    expect(values(unsealWithKubeseal(sealed.stdout, [path.join(sb.dir, "key-secret.yaml")]))).toEqual(PLAIN);
    const dec = sb.seal(["decrypt", "--key", "key-secret.yaml", "db.sealed.yaml"]);
    expect(dec.exitCode).toBe(0);
    expect(values(parse(dec.stdout) as Obj)).toEqual(PLAIN);
  });
});

describe("seal encrypt --format sealed", () => {
  let sb: Sandbox;
  let pair: Pair;
  beforeAll(() => {
    sb = sandbox();
    pair = keygen(sb, "keys");
  });

  it.each([
    ["strict", {}],
    ["namespace-wide", { "sealedsecrets.bitnami.com/namespace-wide": "true" }],
    ["cluster-wide", { "sealedsecrets.bitnami.com/cluster-wide": "true" }],
  ])("--scope %s: what seal seals, the real kubeseal --recovery-unseal opens", (scope, annotations) => {
    const res = sb.seal(["encrypt", "--format", "sealed", "--cert", "keys/tls.crt", "--scope", scope, "-"], { input: SECRET });
    expect(res).toMatchObject({ exitCode: 0, stderr: "" });
    const ss = parse(res.stdout) as Obj & { spec: { encryptedData: Record<string, string>; template: Obj } };
    expect(ss).toMatchObject({ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "db", namespace: "demo" } });
    expect(ss.metadata.annotations).toEqual(Object.keys(annotations).length ? annotations : undefined);
    expect(Object.keys(ss.spec.encryptedData).sort()).toEqual(["blob", "password", "username"]);
    expect(res.stdout).not.toContain("hunter2");
    const secret = unsealWithKubeseal(res.stdout, [pair.key]);
    expect(values(secret)).toEqual(PLAIN);
    expect(secret.metadata).toMatchObject({ name: "db", namespace: "demo" });
  });

  it("-i seals every Secret of a file and keeps the other documents as written; JSON stays JSON", () => {
    writeFileSync(path.join(sb.dir, "app.yaml"), `${SECRET}---\n${CONFIGMAP}`);
    const res = sb.seal(["encrypt", "--format", "sealed", "--cert", "keys/tls.crt", "-i", "app.yaml"]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/^sealed demo\/db \(3 items, strict scope\) → app\.yaml for key SHA256:\S+\n$/);
    const text = readFileSync(path.join(sb.dir, "app.yaml"), "utf8");
    expect(text).not.toContain("hunter2");
    expect(text.endsWith(`---\n${CONFIGMAP}`)).toBe(true);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as Obj);
    expect(docs.map((d) => d.kind)).toEqual(["SealedSecret", "ConfigMap"]);
    expect(values(unsealWithKubeseal(JSON.stringify(docs[0]), [pair.key]))).toEqual(PLAIN);

    const json = sb.seal(["encrypt", "--cert", "keys/tls.crt", "--filename", "db.json", "-"], { input: JSON.stringify(parse(SECRET)) });
    expect(json).toMatchObject({ exitCode: 0, stderr: "" });
    expect(json.stdout).toMatch(/^\{\n {2}"apiVersion": "bitnami\.com\/v1alpha1",\n/);
    expect(values(unsealWithKubeseal(json.stdout, [pair.key]))).toEqual(PLAIN);
  });

  it("--raw seals one value from stdin like kubeseal --raw; the item unseals in a SealedSecret of the same place", () => {
    const raw = sb.seal(["encrypt", "--raw", "--cert", "keys/tls.crt", "--namespace", "demo", "--name", "api", "-"], { input: "tok-canary" });
    expect(raw).toMatchObject({ exitCode: 0, stderr: "" });
    expect(raw.stdout).toMatch(/^[A-Za-z0-9+/]+=*\n$/);
    const wide = sb.seal(["encrypt", "--raw", "--scope", "cluster-wide", "--cert", "keys/tls.crt", "-"], { input: "wide-canary\n" });
    expect(wide.exitCode).toBe(0);
    expect(wide.stderr).toContain("ends with a newline, which is sealed too");
    const sealedSecret = (name: string, annotations: Record<string, string> | undefined, item: string) => JSON.stringify({
      apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret",
      metadata: { name, namespace: "demo", ...(annotations ? { annotations } : {}) },
      spec: { encryptedData: { token: item.trim() }, template: { metadata: { name, namespace: "demo" } } },
    });
    expect(values(unsealWithKubeseal(sealedSecret("api", undefined, raw.stdout), [pair.key]))).toEqual({ token: "tok-canary" });
    expect(values(unsealWithKubeseal(sealedSecret("other", { "sealedsecrets.bitnami.com/cluster-wide": "true" }, wide.stdout), [pair.key])))
      .toEqual({ token: "wide-canary\n" });
    // Strict scope binds the name: kubeseal refuses the item under another name, and so does seal decrypt.
    writeFileSync(path.join(sb.dir, "moved.json"), sealedSecret("web", undefined, raw.stdout));
    expect(kubesealUnseal(sealedSecret("web", undefined, raw.stdout), [pair.key]).exitCode).not.toBe(0);
    const moved = sb.seal(["decrypt", "--key", "keys/tls.key", "moved.json"]);
    expect(moved).toMatchObject({ exitCode: 1, stdout: "" });
    expect(moved.stderr).toMatch(/^seal decrypt: no key could decrypt item token of SealedSecret demo\/web; tried keys SHA256:/);
    expect(sb.seal(["encrypt", "--raw", "--cert", "keys/tls.crt", "--namespace", "demo", "-"], { input: "x" })).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "seal encrypt: --raw with strict scope needs --name NAME (the Secret's name), or use --scope namespace-wide\n",
    });
  });

  it("seal secret --format sealed makes a SealedSecret from literals and files that kubeseal opens", () => {
    writeFileSync(path.join(sb.dir, "blob.bin"), Buffer.from([0, 1, 2, 255]));
    const res = sb.seal(["secret", "db", "-n", "demo", "--from-literal", "username=admin", "--from-literal", "password=hunter2-canary",
      "--from-file", "blob=blob.bin", "--format", "sealed", "--cert", "keys/tls.crt", "-o", "db.sealed.yaml"]);
    expect(res).toMatchObject({ exitCode: 0, stdout: "" });
    expect(res.stderr).toMatch(/^wrote SealedSecret demo\/db \(strict scope\) to db\.sealed\.yaml for key SHA256:\S+\n$/);
    const text = readFileSync(path.join(sb.dir, "db.sealed.yaml"), "utf8");
    expect(text).not.toContain("hunter2");
    expect(values(unsealWithKubeseal(text, [pair.key]))).toEqual(PLAIN);
    expect(sb.seal(["secret", "db", "--from-literal", "a=b", "--cert", "keys/tls.crt"])).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "seal secret: a SealedSecret with strict scope is bound to its namespace: pass -n NS (or --scope cluster-wide)\n",
    });
  });

  it("says what is missing: the certificate, the namespace, a Secret; and refuses SOPS-only flags", () => {
    expect(sb.seal(["encrypt", "--format", "sealed", "-"], { input: SECRET }).stderr).toContain("sealing needs the cluster's certificate: pass --cert FILE");
    const noNs = sb.seal(["encrypt", "--cert", "keys/tls.crt", "-"], { input: SECRET.replace("  namespace: demo\n", "") });
    expect(noNs).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "seal encrypt: stdin: Secret db has no metadata.namespace, which its strict scope binds: set it, pass -n NS, or use --scope cluster-wide\n",
    });
    expect(sb.seal(["encrypt", "--cert", "keys/tls.crt", "-"], { input: CONFIGMAP }).stderr)
      .toBe("seal encrypt: stdin: no kind: Secret to seal; give a Secret manifest, or seal a single value with --raw\n");
    expect(sb.seal(["encrypt", "--cert", "keys/tls.crt", "--age", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", "-"], { input: SECRET }))
      .toEqual({ exitCode: 2, stdout: "", stderr: "seal encrypt: --age does not apply to --format sealed\n" });
  });

  it("refuses an expired certificate everywhere it would seal, as kubeseal does", async () => {
    const expired = await generateSealingKeyPair({ bits: 2048, notBefore: new Date(Date.now() - 10 * 86_400_000), validityDays: 1 });
    writeFileSync(path.join(sb.dir, "expired.crt"), expired.certPem);
    writeFileSync(path.join(sb.dir, "db.sealed.yaml"), kubeseal(["--cert", pair.cert, "-o", "yaml"], SECRET).stdout);
    const runs = [
      sb.seal(["encrypt", "--format", "sealed", "--cert", "expired.crt", "-"], { input: SECRET }),
      sb.seal(["encrypt", "--raw", "--scope", "cluster-wide", "--cert", "expired.crt", "-"], { input: "x" }),
      sb.seal(["secret", "db", "-n", "demo", "--from-literal", "a=b", "--format", "sealed", "--cert", "expired.crt"]),
      sb.seal(["reencrypt", "--cert", "expired.crt", "--key", "keys/tls.key", "db.sealed.yaml"]),
    ];
    for (const res of runs) {
      expect(res.exitCode).toBe(1);
      expect(res.stdout).toBe("");
      expect(res.stderr).toMatch(/^seal \w+: certificate of key SHA256:\S+ \(expired\.crt\) expired on \d{4}-\d\d-\d\dT[\d:.]+Z; refusing to seal with it \(kubeseal refuses too\)\. /);
    }
    expect(kubeseal(["--cert", path.join(sb.dir, "expired.crt")], SECRET).exitCode).not.toBe(0);
  });
});

describe("seal decrypt with keys of both kinds", () => {
  it("opens a SOPS file with the age key and a SealedSecret with the RSA key, given together", () => {
    const sb = sandbox();
    const pair = keygen(sb, "keys");
    const recipient = sb.ageKeygen(path.join(sb.dir, "me.agekey"));
    writeFileSync(path.join(sb.dir, "db.yaml"), SECRET);
    expect(sb.seal(["encrypt", "--age", recipient, "-o", "db.enc.yaml", "db.yaml"]).exitCode).toBe(0);
    writeFileSync(path.join(sb.dir, "db.sealed.yaml"), kubeseal(["--cert", pair.cert, "-o", "yaml"], SECRET).stdout);

    const keys = ["--key", "keys/tls.key", "--key", "me.agekey"];
    const sops = sb.seal(["decrypt", ...keys, "db.enc.yaml"]);
    expect(sops).toMatchObject({ exitCode: 0, stderr: "" });
    expect(parse(sops.stdout)).toMatchObject({ stringData: { password: "hunter2-canary" } });
    const sealed = sb.seal(["decrypt", ...keys, "db.sealed.yaml"]);
    expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
    expect(values(parse(sealed.stdout) as Obj)).toEqual(PLAIN);

    expect(sb.seal(["decrypt", "--key", "me.agekey", "db.sealed.yaml"])).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "seal decrypt: db.sealed.yaml holds SealedSecrets: give the private key that sealed them with --key tls.key (or a backup of the " +
        "controller's key Secrets: kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml)\n",
    });
    expect(sb.seal(["decrypt", "--key", "keys/tls.key", "db.enc.yaml"]).stderr).toMatch(
      /^seal decrypt: no age key found \(keys\/tls\.key holds an RSA key, which opens SealedSecrets, not SOPS files\): pass --key FILE/,
    );
  });

  it("takes a backup of the cluster's key Secrets (age and RSA in one file) as --key for both kinds", () => {
    const sb = sandbox();
    const age = sb.seal(["keygen", "--secret", "sealsync-age", "-n", "apps"]);
    const rsa = sb.seal(["keygen", "--rsa", "--bits", "2048", "--secret", "sealsync-rsa", "-n", "apps"]);
    expect([age.exitCode, rsa.exitCode]).toEqual([0, 0]);
    writeFileSync(path.join(sb.dir, "cluster-keys.yaml"), `${age.stdout}---\n${rsa.stdout}`, { mode: 0o600 });
    const recipient = /public key: (age1\S+)/.exec(age.stderr)![1]!;
    const certPem = Buffer.from((parse(rsa.stdout) as { data: Record<string, string> }).data["tls.crt"]!, "base64");
    writeFileSync(path.join(sb.dir, "cluster.crt"), certPem);
    writeFileSync(path.join(sb.dir, "db.yaml"), SECRET);
    expect(sb.seal(["encrypt", "--age", recipient, "-o", "db.enc.yaml", "db.yaml"]).exitCode).toBe(0);
    expect(sb.seal(["encrypt", "--cert", "cluster.crt", "-o", "db.sealed.yaml", "db.yaml"]).exitCode).toBe(0);

    const sops = sb.seal(["decrypt", "--key", "cluster-keys.yaml", "db.enc.yaml"]);
    expect(sops).toMatchObject({ exitCode: 0, stderr: "" });
    expect(parse(sops.stdout)).toMatchObject({ stringData: { password: "hunter2-canary" } });
    const sealed = sb.seal(["decrypt", "--key", "cluster-keys.yaml", "db.sealed.yaml"]);
    expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
    expect(values(parse(sealed.stdout) as Obj)).toEqual(PLAIN);
    expect(sb.seal(["check", "--key", "cluster-keys.yaml", "db.enc.yaml", "db.sealed.yaml"])).toEqual({
      exitCode: 0,
      stdout: "",
      stderr: "seal check: 2 files checked, no plaintext secrets; MAC verified for 1 of 1 encrypted; unsealed 1 of 1 SealedSecret\n",
    });
  });
});

describe("seal reencrypt", () => {
  it("re-seals kubeseal's SealedSecret to a new key in place, changing only the sealed values and printing no plaintext", () => {
    const sb = sandbox();
    const old = keygen(sb, "old");
    const next = keygen(sb, "new");
    const sealed = kubeseal(["--cert", old.cert, "-o", "yaml"], SECRET).stdout;
    const original = `# sealed for demo\n${sealed}---\n${CONFIGMAP}`;
    const file = path.join(sb.dir, "db.sealed.yaml");
    writeFileSync(file, original);

    const res = sb.seal(["reencrypt", "--cert", "new/tls.crt", "--key", "old/tls.key", "-i", "db.sealed.yaml"]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/^demo\/db: re-sealed 3 items from key SHA256:\S+ to key SHA256:\S+\nwrote db\.sealed\.yaml\n$/);
    expect(res.stderr).not.toContain("hunter2");
    const after = readFileSync(file, "utf8");
    // Line for line, only the three item values differ.
    const [a, b] = [original.split("\n"), after.split("\n")];
    expect(b).toHaveLength(a.length);
    const changed = a.flatMap((line, i) => (line === b[i] ? [] : [line.replace(/:.*/, "")]));
    expect(changed.sort()).toEqual(["    blob", "    password", "    username"]);

    expect(values(unsealWithKubeseal(after, [next.key]))).toEqual(PLAIN);
    expect(kubesealUnseal(after, [old.key]).exitCode).not.toBe(0);

    // Again, with both keys: everything is already sealed to the new key, so nothing changes.
    const again = sb.seal(["reencrypt", "--cert", "new/tls.crt", "--key", "old/tls.key", "--key", "new/tls.key", "-i", "db.sealed.yaml"]);
    expect(again).toMatchObject({ exitCode: 0, stdout: "" });
    expect(again.stderr).toMatch(/^demo\/db: already sealed to key SHA256:\S+; left as it is\n$/);
    expect(readFileSync(file, "utf8")).toBe(after);
  });

  it("fails clearly without the old key, and leaves the file alone", () => {
    const sb = sandbox();
    const old = keygen(sb, "old");
    keygen(sb, "new");
    keygen(sb, "other");
    const sealed = kubeseal(["--cert", old.cert, "-o", "yaml"], SECRET).stdout;
    writeFileSync(path.join(sb.dir, "db.sealed.yaml"), sealed);
    const res = sb.seal(["reencrypt", "--cert", "new/tls.crt", "--key", "other/tls.key", "-i", "db.sealed.yaml"]);
    expect(res).toMatchObject({ exitCode: 1, stdout: "" });
    expect(res.stderr).toMatch(/^seal reencrypt: no key could decrypt item \w+ of SealedSecret demo\/db; tried keys SHA256:\S+\. /);
    expect(readFileSync(path.join(sb.dir, "db.sealed.yaml"), "utf8")).toBe(sealed);
    expect(sb.seal(["reencrypt", "--cert", "new/tls.crt", "db.sealed.yaml"]).stderr).toBe(
      "seal reencrypt: give the old private key(s) with --key tls.key (repeatable; a backup of the controller's key Secrets works too)\n",
    );
  });
});

describe("seal check on SealedSecrets", () => {
  it("flags garbled or truncated sealed data, and with --key the SealedSecrets that do not unseal", () => {
    const sb = sandbox();
    const pair = keygen(sb, "keys");
    const good = kubeseal(["--cert", pair.cert, "-o", "yaml"], SECRET).stdout;
    const item = /password: (\S+)/.exec(good)![1]!;
    writeFileSync(path.join(sb.dir, "good.yaml"), good);
    writeFileSync(path.join(sb.dir, "urlsafe.yaml"), good.replace(item, item.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") + "-_"));
    writeFileSync(path.join(sb.dir, "truncated.yaml"), good.replace(item, Buffer.from(item, "base64").subarray(0, 100).toString("base64")));
    writeFileSync(path.join(sb.dir, "moved.yaml"), good.replace(/name: db/g, "name: web"));

    const plain = sb.seal(["check", "."]);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "truncated.yaml: item password of SealedSecret demo/db is truncated: its length prefix announces a 256-byte RSA part but only 98 bytes follow; re-seal the value",
      "urlsafe.yaml: item password of SealedSecret demo/db is not valid sealed data: it is URL-safe base64 ('-' or '_'); sealed items are standard base64 with '=' padding, as kubeseal writes them — re-seal the value",
    ]);
    expect(plain.stderr).toBe("seal check: 2 problems in 4 files checked\n");

    const withKey = sb.seal(["check", "--key", "keys/tls.key", "good.yaml", "moved.yaml"]);
    expect(withKey.exitCode).toBe(1);
    expect(withKey.stdout).toMatch(/^moved\.yaml: no key could decrypt item \w+ of SealedSecret demo\/web; tried keys SHA256:\S+\. /);
    expect(withKey.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(withKey.stderr).toBe("seal check: 1 problem in 2 files checked; unsealed 1 of 2 SealedSecrets\n");

    expect(sb.seal(["check", "--key", "keys/tls.key", "good.yaml"])).toEqual({
      exitCode: 0,
      stdout: "",
      stderr: "seal check: 1 file checked, no plaintext secrets; unsealed 1 of 1 SealedSecret\n",
    });
  });
});
