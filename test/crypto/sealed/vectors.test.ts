/**
 * The partial upstream vectors (test/fixtures/sealed-secrets-vectors): kubeseal's own test certificate and a
 * real v1 blob. There is no upstream (key, ciphertext) vector; the kubeseal interop tests cover decryption.
 */
import { describe, expect, it } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import { assertCertificateUsable, parseSealingCertificate, sealRaw, SealingCertificateError } from "../../../src/crypto/sealed/index.js";
import { splitItem } from "../../../src/crypto/sealed/hybrid.js";
import { sealedVectorsDir } from "../../env/fixtures.js";

const VECTORS = sealedVectorsDir;
const read = (name: string) => fs.readFileSync(path.join(VECTORS, name), "utf8");

describe("kubeseal's test certificate", () => {
  const pem = read("kubeseal-test-cert.pem");

  it("parses to the expected RSA-4096 modulus and exponent", () => {
    const cert = parseSealingCertificate(pem);
    const jwk = cert.publicKey.export({ format: "jwk" });
    const n = BigInt("0x" + Buffer.from(jwk.n!, "base64url").toString("hex"));
    expect(n.toString()).toBe(read("kubeseal-test-cert.modulus.dec").trim());
    expect(Buffer.from(jwk.e!, "base64url").readUIntBE(0, 3)).toBe(65537);
    expect(cert.modulusBits).toBe(4096);
  });

  it("has the controller's key id (SSH SHA256 fingerprint of the public key)", () => {
    expect(parseSealingCertificate(pem).keyId).toBe("SHA256:GGkvu+e9oSv0lC5zQgZeFDtW/h7L0lSIV4QFz6+0tcI");
  });

  it("seals until its NotAfter (2027-06-18T04:32:45Z) and is refused after it", () => {
    const before = new Date("2027-06-18T04:32:44Z");
    const after = new Date("2027-06-18T04:32:46Z");
    expect(assertCertificateUsable(pem, before).notAfter.toISOString()).toBe("2027-06-18T04:32:45.000Z");
    expect(() => assertCertificateUsable(pem, after)).toThrow(SealingCertificateError);
    expect(() => assertCertificateUsable(pem, after)).toThrow(/expired on 2027-06-18T04:32:45.000Z; refusing to seal/);

    const item = sealRaw(Buffer.from("supersecret"), pem, { scope: "strict", namespace: "myns", name: "mysecret", now: before });
    expect(item).toMatch(/^Ag[A-D]/);
    expect(Buffer.from(item, "base64").length).toBe(2 + 512 + 11 + 16);
    expect(() => sealRaw(Buffer.from("x"), pem, { scope: "cluster-wide", now: after })).toThrow(/expired/);
  });
});

describe("the real v1 spec.data blob (no key)", () => {
  it("has the documented framing: 0x0200 prefix, 512-byte RSA part, 319-byte AES-GCM part", () => {
    const b64 = read("v1-data-ciphertext-nokey.b64").trim();
    expect(b64).toMatch(/^Ag[A-D]/);
    const bytes = Buffer.from(b64, "base64");
    expect(bytes.length).toBe(833);
    const parts = splitItem(bytes);
    expect("problem" in parts).toBe(false);
    if (!("problem" in parts)) {
      expect(parts.rsaPart.length).toBe(512);
      expect(parts.aesPart.length).toBe(319);
    }
  });
});
