/**
 * Key pairs and key files: generated pairs in the controller's certificate format, private keys in every
 * form the controller and `kubeseal --recovery-private-key` accept, and the key Secret manifest.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { X509Certificate, createPrivateKey, generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import forge from "node-forge";
import { stringify } from "yaml";
import path from "node:path";
import { sealedVectorsDir } from "../../env/fixtures.js";
import {
  KEY_LABEL_ACTIVE, SEALED_SECRETS_KEY_LABEL, SEALSYNC_KEY_LABEL, SealingKeyError, generateSealingKeyPair, keySecretManifest,
  loadRsaKey, newestFirst, parseRsaPrivateKeys, type SealingKeyPair,
} from "../../../src/crypto/sealed/index.js";

let a: SealingKeyPair;
let b: SealingKeyPair;
beforeAll(async () => {
  [a, b] = await Promise.all([generateSealingKeyPair({ bits: 2048 }), generateSealingKeyPair({ bits: 2048, commonName: "sealsync" })]);
});

/** Asserts an error message carries no PEM body (base64 of DER always starts with MII for RSA keys). */
function noKeyMaterial(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect((err as Error).message).not.toMatch(/MII|BEGIN/);
    return err as Error;
  }
  throw new Error("expected a failure");
}

describe("generateSealingKeyPair", () => {
  it("makes the controller's certificate: empty DN, encipherOnly + CA (both critical), sha256WithRSA, 128-bit serial, 10 years", () => {
    const x = new X509Certificate(a.certPem);
    expect(x.subject).toBeUndefined();
    expect(x.verify(x.publicKey)).toBe(true);
    const years = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / (365.25 * 86_400_000);
    expect(years).toBeCloseTo(10, 1);
    expect(x.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$|^0?[1-7][0-9A-F]{30}$/);

    const f = forge.pki.certificateFromPem(a.certPem);
    expect(f.siginfo.algorithmOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    const ku = f.getExtension("keyUsage") as { critical: boolean; encipherOnly: boolean; digitalSignature: boolean };
    expect(ku).toMatchObject({ critical: true, encipherOnly: true, digitalSignature: false });
    expect(f.getExtension("basicConstraints")).toMatchObject({ critical: true, cA: true });
    // Same extensions, in the same order, as kubeseal's own test certificate (a controller-made one).
    const upstream = forge.pki.certificateFromPem(fs.readFileSync(path.join(sealedVectorsDir, "kubeseal-test-cert.pem"), "utf8"));
    const shape = (c: forge.pki.Certificate) => ({
      ext: c.extensions.map((e: { name: string; critical?: boolean; value: string }) => [e.name, !!e.critical, Buffer.from(e.value, "binary").toString("hex")]),
      subject: c.subject.attributes.length, issuer: c.issuer.attributes.length, sig: c.siginfo.algorithmOid, version: c.version,
    });
    expect(shape(f)).toEqual(shape(upstream));
    expect(a.keyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/); // PKCS#1, as the controller stores tls.key
    expect(createPrivateKey(a.keyPem).asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
  });

  it("sets the CN when asked, and refuses weak sizes", async () => {
    expect(new X509Certificate(b.certPem).subject).toBe("CN=sealsync");
    await expect(generateSealingKeyPair({ bits: 1024 })).rejects.toThrow(/RSA key size 1024 is not supported/);
  });
});

describe("loading private keys", () => {
  it("PKCS#1 and PKCS#8 give the same key and id; the id is the certificate's", () => {
    const pkcs8 = createPrivateKey(a.keyPem).export({ type: "pkcs8", format: "pem" }).toString();
    const k1 = loadRsaKey(a.keyPem, "tls.key", a.certPem);
    const k8 = loadRsaKey(pkcs8, "key8.pem");
    expect(k8.id).toBe(k1.id);
    expect(k1.id).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(k1.certPem).toContain("BEGIN CERTIFICATE");
    expect(k1.notBefore).toBeInstanceOf(Date);
    expect(k8.certPem).toBeUndefined();
    // KeyObjects do not serialise their material.
    expect(JSON.stringify(k1)).not.toContain(a.keyPem.split("\n")[1]);
    expect(JSON.stringify(k1)).not.toContain("PRIVATE");
  });

  it("a PEM bundle of several keys and certificates pairs each key with its own certificate", () => {
    const keys = parseRsaPrivateKeys([a.keyPem, b.certPem, b.keyPem, a.certPem].join("\n"), "bundle.pem");
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(k.certPem).toBeDefined();
    expect(keys[0]!.certPem).toBe(new X509Certificate(a.certPem).toString());
  });

  it("a YAML backup of the controller's key Secrets (a v1 List, as kubectl get -o yaml prints) gives every key", () => {
    const list = {
      apiVersion: "v1", kind: "List",
      items: [
        keySecretManifest({ ...a, name: "sealed-secrets-keyabcde", namespace: "kube-system" }),
        keySecretManifest({ ...b, name: "sealed-secrets-keyfghij", namespace: "kube-system" }),
      ],
    };
    const keys = parseRsaPrivateKeys(stringify(list), "backup.yaml");
    expect(keys.map((k) => k.source)).toEqual([
      "backup.yaml: Secret kube-system/sealed-secrets-keyabcde", "backup.yaml: Secret kube-system/sealed-secrets-keyfghij",
    ]);
    expect(keys.map((k) => k.id)).toEqual([loadRsaKey(a.keyPem, "a").id, loadRsaKey(b.keyPem, "b").id]);
    // Multi-document YAML works too.
    expect(parseRsaPrivateKeys(list.items.map((s) => stringify(s)).join("---\n"), "backup.yaml")).toHaveLength(2);
  });

  it.each([
    ["a passphrase-protected key", () => createPrivateKey(a.keyPem).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString(), /passphrase-protected/],
    ["an EC key", () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(), /private key is ec; Sealed Secrets keys are RSA/],
    ["an SEC1 EC key", () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "sec1", format: "pem" }).toString(), /EC PRIVATE KEY is not usable/],
    ["a certificate alone", () => a.certPem, /holds no PEM private key/],
    ["garbage", () => "hello: world\n", /holds no RSA private key/],
  ])("refuses %s with a clear message", (_name, make, message) => {
    const err = noKeyMaterial(() => parseRsaPrivateKeys(make(), "key.pem"));
    expect(err).toBeInstanceOf(SealingKeyError);
    expect(err.message).toMatch(/^key\.pem/);
    expect(err.message).toMatch(message);
  });

  it("refuses a key paired with another key's certificate", () => {
    const err = noKeyMaterial(() => loadRsaKey(a.keyPem, "tls.key", b.certPem));
    expect(err.message).toMatch(/^tls.key: its certificate is for key SHA256:\S+, not for this key SHA256:/);
  });

  it("orders keys newest first by certificate NotBefore, undated keys last", async () => {
    const older = await generateSealingKeyPair({ bits: 2048, notBefore: new Date("2020-01-01T00:00:00Z") });
    const kOld = loadRsaKey(older.keyPem, "old", older.certPem);
    const kNew = loadRsaKey(a.keyPem, "new", a.certPem);
    const kBare = loadRsaKey(b.keyPem, "bare");
    expect(newestFirst([kBare, kOld, kNew]).map((k) => k.source)).toEqual(["new", "old", "bare"]);
  });
});

describe("keySecretManifest", () => {
  it("writes the controller's key Secret (kubernetes.io/tls, tls.crt/tls.key) with both labels by default", () => {
    const s = keySecretManifest({ ...a, name: "sealsync-key-1", namespace: "apps" });
    expect(s).toEqual({
      apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls",
      metadata: { name: "sealsync-key-1", namespace: "apps", labels: { [SEALSYNC_KEY_LABEL]: KEY_LABEL_ACTIVE, [SEALED_SECRETS_KEY_LABEL]: KEY_LABEL_ACTIVE } },
      data: { "tls.crt": Buffer.from(a.certPem).toString("base64"), "tls.key": Buffer.from(a.keyPem).toString("base64") },
    });
    expect(keySecretManifest({ ...a, name: "k", namespace: "apps", labels: ["sealsync"] }).metadata.labels).toEqual({ "sealsync.dev/key": "active" });
  });

  it("refuses a key and certificate that do not belong together", () => {
    expect(() => keySecretManifest({ keyPem: a.keyPem, certPem: b.certPem, name: "k", namespace: "apps" })).toThrow(/certificate is for key/);
  });
});
