/**
 * Interoperability with the real kubeseal (v0.36.x): what kubeseal seals, sealsync unseals, and what
 * sealsync seals, kubeseal's --recovery-unseal opens. Every key pair comes from generateSealingKeyPair, so
 * each `kubeseal --cert` run also proves our certificates are accepted.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  ANNOTATION_CLUSTER_WIDE, ANNOTATION_NAMESPACE_WIDE, reencryptSealedSecret, sealRaw, sealSecret, unsealSealedSecret,
  type SealingScope,
} from "../../../src/crypto/sealed/index.js";
import { kubeseal, kubesealOk, kubesealSeal, kubesealUnseal, makeKeyPair, secret, tempDir, values, type TestKeyPair } from "./helpers.js";

let dir: string;
let pair: TestKeyPair;
const where = { file: "apps/secret.yaml", index: 0 };

beforeAll(async () => {
  dir = tempDir();
  pair = await makeKeyPair(dir, "tls");
});

describe("SealedSecrets sealed by kubeseal --cert unseal in sealsync", () => {
  const scopes: [SealingScope, Record<string, string> | undefined][] = [
    ["strict", undefined],
    ["namespace-wide", { [ANNOTATION_NAMESPACE_WIDE]: "true" }],
    ["cluster-wide", { [ANNOTATION_CLUSTER_WIDE]: "true" }],
  ];
  it.each(scopes)("%s scope: values, metadata, type and key id come back", (scope, annotations) => {
    const input = secret("db", "shop", { user: "admin", password: "s3cr3t ünïcode" }, {
      type: "kubernetes.io/basic-auth",
      immutable: true,
    });
    (input.metadata as Record<string, unknown>).labels = { app: "shop" };
    const sealed = kubesealSeal(input, pair.certFile, ["--scope", scope]);
    expect((sealed.metadata as { annotations?: unknown }).annotations).toEqual(annotations);

    const { object, keyId, keyIds } = unsealSealedSecret(sealed, [pair.key], where);
    expect(object).toMatchObject({
      apiVersion: "v1", kind: "Secret", type: "kubernetes.io/basic-auth", immutable: true,
      metadata: { name: "db", namespace: "shop", labels: { app: "shop" } },
    });
    expect(object.metadata).not.toHaveProperty("creationTimestamp");
    expect(values(object)).toEqual({ user: Buffer.from("admin"), password: Buffer.from("s3cr3t ünïcode") });
    expect(keyId).toBe(pair.key.id);
    expect(keyIds).toEqual([pair.key.id]);
  });

  it("empty, binary, 1 MiB and stringData values survive byte for byte", () => {
    const binary = randomBytes(4096);
    const big = randomBytes(1 << 20);
    const input = secret("blobs", "shop", { empty: Buffer.alloc(0), binary, big });
    input.stringData = { text: "from stringData" };
    const sealed = kubesealSeal(input, pair.certFile);
    // An empty value seals to prefix + RSA part + bare 16-byte tag.
    const emptyItem = Buffer.from((sealed.spec as { encryptedData: Record<string, string> }).encryptedData.empty!, "base64");
    expect(emptyItem.length).toBe(2 + 256 + 16);

    const got = values(unsealSealedSecret(sealed, [pair.key], where).object);
    expect(got.empty).toEqual(Buffer.alloc(0));
    expect(got.binary!.equals(binary)).toBe(true);
    expect(got.big!.equals(big)).toBe(true);
    expect(got.text!.toString()).toBe("from stringData");
  });

  it("many items, and items sealed with different keys in one object, all unseal", async () => {
    const other = await makeKeyPair(dir, "other");
    const data: Record<string, string> = {};
    for (let i = 0; i < 60; i++) data[`k${i}`] = `value-${i}`;
    const sealed = kubesealSeal(secret("many", "shop", data), pair.certFile);
    // Paste in one item sealed by kubeseal --raw with another key: upstream allows mixed keys per object.
    const raw = kubesealOk(["--cert", other.certFile, "--raw", "--scope", "strict", "--namespace", "shop", "--name", "many"], "mixed");
    (sealed.spec as { encryptedData: Record<string, string> }).encryptedData.mixed = raw;

    const { object, keyIds } = unsealSealedSecret(sealed, [other.key, pair.key], where);
    const got = values(object);
    expect(Object.keys(got)).toHaveLength(61);
    expect(got.k42!.toString()).toBe("value-42");
    expect(got.mixed!.toString()).toBe("mixed");
    expect(new Set(keyIds)).toEqual(new Set([pair.key.id, other.key.id]));
  });

  it("kubeseal --raw items unseal for each scope once placed in a SealedSecret with the matching annotation", () => {
    const cases: [SealingScope, string[], Record<string, string> | undefined][] = [
      ["strict", ["--namespace", "shop", "--name", "raw"], undefined],
      ["namespace-wide", ["--namespace", "shop"], { [ANNOTATION_NAMESPACE_WIDE]: "true" }],
      ["cluster-wide", [], { [ANNOTATION_CLUSTER_WIDE]: "true" }],
    ];
    for (const [scope, args, annotations] of cases) {
      const raw = kubesealOk(["--cert", pair.certFile, "--raw", "--scope", scope, ...args], `raw ${scope}`);
      expect(raw).toMatch(/^AQ[A-D][A-Za-z0-9+/]+=*$/); // 2048-bit prefix 0x0100, no newline.
      const doc = {
        apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret",
        metadata: { name: "raw", namespace: "shop", ...(annotations ? { annotations } : {}) },
        spec: { encryptedData: { v: raw } },
      };
      expect(values(unsealSealedSecret(doc, [pair.key]).object).v!.toString()).toBe(`raw ${scope}`);
    }
  });

  it("a 4096-bit key pair (the controller's default size) works both ways", async () => {
    const big = await makeKeyPair(dir, "big", 4096);
    const sealed = kubesealSeal(secret("s", "shop", { a: "four thousand" }), big.certFile);
    const item = (sealed.spec as { encryptedData: Record<string, string> }).encryptedData.a!;
    expect(item).toMatch(/^Ag[A-D]/); // prefix 0x0200: a 512-byte RSA part.
    expect(values(unsealSealedSecret(sealed, [pair.key, big.key]).object).a!.toString()).toBe("four thousand");

    const ours = sealSecret(secret("s", "shop", { b: "and back" }), big.certPem);
    expect(values(kubesealUnseal(ours, [big.keyFile])).b!.toString()).toBe("and back");
  });
});

describe("SealedSecrets sealed by sealsync unseal with kubeseal --recovery-unseal", () => {
  it.each(["strict", "namespace-wide", "cluster-wide"] as SealingScope[])("%s scope, with empty, binary and 1 MiB values", (scope) => {
    const binary = randomBytes(1000);
    const big = randomBytes(1 << 20);
    const input = secret("app", "prod", { empty: Buffer.alloc(0), binary, big, text: "hello" }, { type: "Opaque" });
    const sealed = sealSecret(input, pair.certPem, scope);
    const back = kubesealUnseal(sealed, [pair.keyFile]);
    const got = values(back);
    expect(got.empty).toEqual(Buffer.alloc(0));
    expect(got.binary!.equals(binary)).toBe(true);
    expect(got.big!.equals(big)).toBe(true);
    expect(got.text!.toString()).toBe("hello");
    expect(back.metadata).toMatchObject({ name: "app", namespace: "prod" });
  });

  it("sealSecret output has kubeseal's shape: scope annotation on top and in the template, last-applied stripped", () => {
    const input = secret("web", "prod", { k: "v" }, { type: "Opaque" });
    (input.metadata as Record<string, unknown>).annotations = {
      "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"k\":\"dg==\"}}",
      note: "kept",
    };
    const ours = sealSecret(input, pair.certPem, "namespace-wide") as unknown as Record<string, unknown>;
    const theirs = kubesealSeal(input, pair.certFile, ["--scope", "namespace-wide"]);
    const shape = (o: Record<string, unknown>) => {
      const spec = o.spec as { encryptedData: Record<string, string>; template: { metadata: Record<string, unknown> } };
      const { creationTimestamp: _c, ...templateMeta } = spec.template.metadata;
      const { creationTimestamp: _t, ...meta } = o.metadata as Record<string, unknown>;
      return { apiVersion: o.apiVersion, kind: o.kind, meta, templateMeta, items: Object.keys(spec.encryptedData), type: (spec.template as { type?: string }).type };
    };
    expect(shape(ours)).toEqual(shape(theirs));
    expect(JSON.stringify(ours)).not.toContain("last-applied");
  });

  it("sealRaw output is accepted by kubeseal --recovery-unseal under the matching scope annotation", () => {
    const raw = sealRaw(Buffer.from("raw value"), pair.certPem, { scope: "namespace-wide", namespace: "prod" });
    const doc = {
      apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret",
      metadata: { name: "anything", namespace: "prod", annotations: { [ANNOTATION_NAMESPACE_WIDE]: "true" } },
      spec: { encryptedData: { v: raw } },
    };
    expect(values(kubesealUnseal(doc, [pair.keyFile])).v!.toString()).toBe("raw value");
  });

  it("kubeseal --recovery-unseal reads our key Secret backup format too", async () => {
    const { keySecretManifest } = await import("../../../src/crypto/sealed/index.js");
    const backup = path.join(dir, "backup.json");
    fs.writeFileSync(backup, JSON.stringify(keySecretManifest({ keyPem: pair.keyPem, certPem: pair.certPem, name: "k", namespace: "kube-system" })));
    const sealed = sealSecret(secret("s", "prod", { a: "from backup" }), pair.certPem);
    expect(values(kubesealUnseal(sealed, [backup])).a!.toString()).toBe("from backup");
  });
});

describe("re-encryption to a new key", () => {
  it("re-seals a kubeseal SealedSecret to a new certificate, keeping metadata and template; kubeseal opens it with the new key only", async () => {
    const next = await makeKeyPair(dir, "next");
    const input = secret("rot", "prod", { a: "alpha", b: "beta" }, { type: "Opaque" });
    (input.metadata as Record<string, unknown>).labels = { tier: "db" };
    const old = kubesealSeal(input, pair.certFile, ["--scope", "namespace-wide"]);

    const { sealedSecret, fromKeyIds, toKeyId } = reencryptSealedSecret(old, [pair.key], next.certPem);
    expect(fromKeyIds).toEqual([pair.key.id]);
    expect(toKeyId).toBe(next.key.id);
    const { encryptedData: _old, ...oldRest } = old.spec as Record<string, unknown>;
    const { encryptedData: newItems, ...newRest } = sealedSecret.spec;
    expect(newRest).toEqual(oldRest);
    expect(sealedSecret.metadata).toEqual(old.metadata);
    expect(Object.keys(newItems)).toEqual(["a", "b"]);

    expect(values(kubesealUnseal(sealedSecret, [next.keyFile]))).toEqual({ a: Buffer.from("alpha"), b: Buffer.from("beta") });
    const withOldKey = kubeseal(["--recovery-unseal", "--recovery-private-key", pair.keyFile], JSON.stringify(sealedSecret));
    expect(withOldKey.exitCode).not.toBe(0);
    expect(withOldKey.stderr).toMatch(/no key could decrypt secret/);
  });
});
