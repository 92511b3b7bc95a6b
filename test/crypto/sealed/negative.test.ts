/**
 * Every failure case of the spec's conformance list, on SealedSecrets made by the real kubeseal: each fails
 * with a typed error that names the file, object and item and says what to do — never the value — and, where
 * the case is a crypto failure, kubeseal's own --recovery-unseal refuses it too.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import {
  ANNOTATION_NAMESPACE_WIDE, NoKeyCouldDecryptError, NoSealingKeyError, SealedItemEncodingError, SealedItemTamperedError,
  SealedItemTruncatedError, SealedScopeMismatchError, SealedSecretError, SealedSecretFormatError, SealingCertificateError,
  UnsupportedTemplateDataError, isSealedSecret, sealRaw, sealSecret, unsealSealedSecret,
} from "../../../src/crypto/sealed/index.js";
import { kubeseal, kubesealSeal, makeKeyPair, secret, tempDir, type TestKeyPair } from "./helpers.js";
import { sealedVectorsDir } from "../../env/fixtures.js";

const VALUE = "hunter2-the-plaintext";
const where = { file: "apps/db.yaml", index: 3 };
let dir: string;
let pair: TestKeyPair;
let stranger: TestKeyPair;
/** A kubeseal-made strict SealedSecret shop/db with one item `password`. */
let strict: Record<string, unknown>;
let nsWide: Record<string, unknown>;

beforeAll(async () => {
  dir = tempDir("neg-");
  pair = await makeKeyPair(dir, "tls");
  stranger = await makeKeyPair(dir, "stranger");
  strict = kubesealSeal(secret("db", "shop", { password: VALUE }), pair.certFile);
  nsWide = kubesealSeal(secret("db", "shop", { password: VALUE }), pair.certFile, ["--scope", "namespace-wide"]);
});

type Doc = Record<string, unknown> & { metadata: Record<string, unknown>; spec: { encryptedData: Record<string, string>; template?: Record<string, unknown> } };
const copy = (d: Record<string, unknown>): Doc => structuredClone(d) as Doc;

/** Unseals expecting a failure; checks the common contract and returns the error. */
function failure(doc: unknown, keys = [pair.key]): SealedSecretError {
  let caught: unknown;
  try {
    unsealSealedSecret(doc, keys, where);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SealedSecretError);
  const err = caught as SealedSecretError;
  expect(err.message).toContain("apps/db.yaml#3");
  expect(err.message).not.toContain(VALUE);
  expect(err.message).not.toContain("PRIVATE KEY");
  expect(err.where).toEqual(where);
  return err;
}

/** kubeseal --recovery-unseal must refuse the same document (it is the reference decrypter). */
function kubesealRefuses(doc: unknown, pattern: RegExp): void {
  const r = kubeseal(["--recovery-unseal", "--recovery-private-key", pair.keyFile], JSON.stringify(doc));
  expect(r.exitCode).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stdout).not.toContain(Buffer.from(VALUE).toString("base64"));
}

function flipByte(item: string, offset: number): string {
  const bytes = Buffer.from(item, "base64");
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x01;
  return bytes.toString("base64");
}

describe("moved, renamed or re-scoped SealedSecrets", () => {
  it("strict: moved to another namespace (template still says where it was sealed) names the move", () => {
    const doc = copy(strict);
    doc.metadata.namespace = "other";
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedScopeMismatchError);
    expect(err.message).toMatch(/item password of SealedSecret other\/db cannot be unsealed here: it was sealed for strict scope \(shop\/db\).*moved or renamed to other\/db.*re-seal/);
    expect((err as SealedScopeMismatchError).keyId).toBe(pair.key.id);
    kubesealRefuses(doc, /no key could decrypt secret \(password\)/);
  });

  it("strict: renamed everywhere (no trace of the old name) says no key could decrypt, listing the keys tried", () => {
    const doc = copy(strict);
    doc.metadata.name = "db2";
    (doc.spec.template!.metadata as Record<string, unknown>).name = "db2";
    const err = failure(doc, [stranger.key, pair.key]);
    expect(err).toBeInstanceOf(NoKeyCouldDecryptError);
    expect(err.message).toContain(`no key could decrypt item password of SealedSecret shop/db2; tried keys ${stranger.key.id}, ${pair.key.id}`);
    expect(err.message).toMatch(/renamed\/moved after sealing/);
    kubesealRefuses(doc, /no key could decrypt secret \(password\)/);
  });

  it("namespace-wide sealed, but the annotation is missing from metadata.annotations (only in the template)", () => {
    const doc = copy(nsWide);
    delete doc.metadata.annotations;
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedScopeMismatchError);
    expect(err.message).toContain(`it was sealed with namespace-wide scope (namespace shop), but the SealedSecret's metadata.annotations select strict scope (shop/db); set ${ANNOTATION_NAMESPACE_WIDE}: "true" in metadata.annotations`);
    kubesealRefuses(doc, /no key could decrypt secret \(password\)/);
  });

  it("strict sealed, but annotated cluster-wide", () => {
    const doc = copy(strict);
    doc.metadata.annotations = { "sealedsecrets.bitnami.com/cluster-wide": "true" };
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedScopeMismatchError);
    expect(err.message).toMatch(/sealed with strict scope \(shop\/db\), but .* select cluster-wide scope; remove the/);
  });

  it("a wrong key only: no key could decrypt", () => {
    const err = failure(strict, [stranger.key]);
    expect(err).toBeInstanceOf(NoKeyCouldDecryptError);
    expect((err as NoKeyCouldDecryptError).triedKeyIds).toEqual([stranger.key.id]);
    expect((err as NoKeyCouldDecryptError).item).toBe("password");
  });

  it("no keys at all says so", () => {
    expect(failure(strict, [])).toBeInstanceOf(NoSealingKeyError);
  });
});

describe("damaged ciphertext", () => {
  it("a flipped byte in the RSA part: no key could decrypt", () => {
    const doc = copy(strict);
    doc.spec.encryptedData.password = flipByte(doc.spec.encryptedData.password!, 2 + 100);
    expect(failure(doc)).toBeInstanceOf(NoKeyCouldDecryptError);
    kubesealRefuses(doc, /no key could decrypt secret \(password\)/);
  });

  it("a flipped byte in the AES-GCM part: authentication fails and the key that opened it is named", () => {
    const doc = copy(strict);
    doc.spec.encryptedData.password = flipByte(doc.spec.encryptedData.password!, 2 + 256 + 3);
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedItemTamperedError);
    expect(err.message).toContain(`item password of SealedSecret shop/db failed authentication (AES-GCM tag mismatch)`);
    expect(err.message).toContain(pair.key.id);
    kubesealRefuses(doc, /no key could decrypt secret \(password\)/);
  });

  it.each([
    ["shorter than the length prefix", () => Buffer.from([0x01]), /shorter than the 2-byte length prefix/],
    ["shorter than the prefix announces", (b: Buffer) => b.subarray(0, 200), /announces a 256-byte RSA part but only 198 bytes follow/],
    ["AES part shorter than a GCM tag", (b: Buffer) => b.subarray(0, 2 + 256 + 10), /AES-GCM part has 10 bytes, shorter than the 16-byte/],
  ])("truncated: %s", (_name, cut, message) => {
    const doc = copy(strict);
    doc.spec.encryptedData.password = cut(Buffer.from(doc.spec.encryptedData.password!, "base64")).toString("base64");
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedItemTruncatedError);
    expect(err.message).toMatch(message);
    expect(err.message).toContain("item password of SealedSecret shop/db is truncated");
    kubesealRefuses(doc, /too short|no key could decrypt/);
  });

  it.each([
    ["URL-safe base64", (s: string) => s.replace(/\+/g, "-").replace(/\//g, "_"), /URL-safe base64/],
    ["unpadded base64", (s: string) => s.replace(/=+$/, ""), /lacks base64 '=' padding/],
    ["junk characters", (s: string) => `${s.slice(0, 10)}*${s.slice(11)}`, /not base64/],
  ])("%s is refused", (_name, mangle, message) => {
    const doc = copy(strict);
    // Make sure the mangling applies: choose an item whose base64 has '+'/'/' and padding.
    let item = doc.spec.encryptedData.password!;
    for (let i = 0; i < 50 && !(/[+/]/.test(item) && item.endsWith("=")); i++) {
      item = sealRaw(Buffer.from(VALUE), pair.certPem, { scope: "strict", namespace: "shop", name: "db" });
    }
    doc.spec.encryptedData.password = mangle(item);
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedItemEncodingError);
    expect(err.message).toMatch(message);
    kubesealRefuses(doc, /illegal base64|no key could decrypt/);
  });

  it("line breaks inside an item are ignored, as Go's decoder does", () => {
    const doc = copy(strict);
    doc.spec.encryptedData.password = doc.spec.encryptedData.password!.replace(/(.{76})/g, "$1\n");
    expect(Buffer.from(unsealSealedSecret(doc, [pair.key]).object.data!.password!, "base64").toString()).toBe(VALUE);
  });

  it("an RSA part longer than the key's modulus (sealed for a bigger key) is not this key's", () => {
    // What a 4096-bit item looks like to a 2048-bit key: L = 512 > k = 256 (Go rejects it the same way).
    const forged = Buffer.concat([Buffer.from([0x02, 0x00]), Buffer.alloc(512, 7), Buffer.alloc(40, 9)]);
    const doc = copy(strict);
    doc.spec.encryptedData.password = forged.toString("base64");
    expect(failure(doc)).toBeInstanceOf(NoKeyCouldDecryptError);
    kubesealRefuses(doc, /no key could decrypt secret \(password\)/);
  });
});

describe("unsupported or malformed documents", () => {
  it("template data is refused before any decryption is tried", () => {
    const doc = copy(strict);
    doc.spec.template!.data = { "config.yaml": "password: {{ .password }}" };
    const err = failure(doc, []); // With no keys at all: the template is checked first.
    expect(err).toBeInstanceOf(UnsupportedTemplateDataError);
    expect(err.message).toContain("SealedSecret shop/db uses spec.template.data (config.yaml), which sealsync does not render");
  });

  it("the deprecated v1 spec.data blob is refused with a way out", () => {
    const blob = fs.readFileSync(path.join(sealedVectorsDir, "v1-data-ciphertext-nokey.b64"), "utf8").trim();
    const doc = { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "old", namespace: "shop" }, spec: { data: blob } };
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedSecretFormatError);
    expect(err.message).toMatch(/deprecated v1 spec.data blob.*re-seal/);
  });

  it.each([
    ["no metadata.name", (d: Doc) => { delete d.metadata.name; }, /has no metadata.name/],
    ["no namespace under strict scope", (d: Doc) => { delete d.metadata.namespace; }, /has no metadata.namespace, which its strict scope binds/],
    ["a non-string item", (d: Doc) => { (d.spec.encryptedData as Record<string, unknown>).password = 42; }, /item password of SealedSecret shop\/db is not a string/],
    ["no encryptedData", (d: Doc) => { delete (d.spec as Record<string, unknown>).encryptedData; }, /has no spec.encryptedData/],
    ["an unknown apiVersion", (d: Doc) => { d.apiVersion = "bitnami.com/v2"; }, /apiVersion bitnami.com\/v2 is not supported/],
  ])("%s", (_name, mutate, message) => {
    const doc = copy(strict);
    mutate(doc);
    const err = failure(doc);
    expect(err).toBeInstanceOf(SealedSecretFormatError);
    expect(err.message).toMatch(message);
  });

  it("isSealedSecret recognises any bitnami.com SealedSecret, and nothing else", () => {
    expect(isSealedSecret(strict)).toBe(true);
    expect(isSealedSecret({ ...strict, apiVersion: "bitnami.com/v2" })).toBe(true);
    expect(isSealedSecret({ apiVersion: "v1", kind: "Secret" })).toBe(false);
    expect(isSealedSecret(null)).toBe(false);
    expect(isSealedSecret("SealedSecret")).toBe(false);
  });
});

describe("certificates that cannot seal", () => {
  it("an expired certificate is refused, as kubeseal refuses it", async () => {
    const old = await makeKeyPair(dir, "expired", 2048, { notBefore: new Date(Date.now() - 3 * 86_400_000), validityDays: 1 });
    const input = secret("db", "shop", { password: VALUE });
    expect(() => sealSecret(input, old.certPem)).toThrow(SealingCertificateError);
    expect(() => sealSecret(input, old.certPem)).toThrow(new RegExp(`certificate of key ${old.key.id.replace(/[+/]/g, "\\$&")} expired on .*refusing to seal`));
    expect(() => sealRaw(Buffer.from("x"), old.certPem, { scope: "cluster-wide" })).toThrow(/expired/);
    const r = kubeseal(["--cert", old.certFile, "-o", "json"], JSON.stringify(input));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/expired certificate/);
    // Unsealing ignores expiry, as the controller does: old SealedSecrets keep working.
    const sealedEarlier = sealSecret(input, old.certPem, { now: new Date(Date.now() - 2.5 * 86_400_000) });
    expect(unsealSealedSecret(sealedEarlier, [old.key]).keyId).toBe(old.key.id);
  });

  it("a bare public key or a private key is not a certificate", () => {
    const input = secret("db", "shop", { password: VALUE });
    const spki = pair.key.publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => sealSecret(input, spki)).toThrow(/expected a PEM CERTIFICATE.*found PUBLIC KEY; a bare public key is not accepted/);
    let message = "";
    try {
      sealSecret(input, pair.keyPem);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/found RSA PRIVATE KEY/);
    expect(message).not.toMatch(/MII/); // No key material in the message.
  });
});
