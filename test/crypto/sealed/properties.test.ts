/** Round-trip invariants over random Secrets, scopes and places (20 runs; 200 under SLOW=1). */
import { beforeAll, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import {
  NoKeyCouldDecryptError, SealedScopeMismatchError, generateSealingKeyPair, loadRsaKey, reencryptSealedSecret, sealSecret, unsealSealedSecret,
  type RsaKey, type SealingKeyPair, type SealingScope,
} from "../../../src/crypto/sealed/index.js";

const numRuns = process.env.SLOW ? 200 : 20;
let pair: SealingKeyPair;
let key: RsaKey;
let next: SealingKeyPair;
let nextKey: RsaKey;
beforeAll(async () => {
  [pair, next] = await Promise.all([generateSealingKeyPair({ bits: 2048 }), generateSealingKeyPair({ bits: 2048 })]);
  key = loadRsaKey(pair.keyPem, "a", pair.certPem);
  nextKey = loadRsaKey(next.keyPem, "b", next.certPem);
});

const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/);
const dataKey = fc.stringMatching(/^[-._a-zA-Z0-9]{1,30}$/);
const scope = fc.constantFrom<SealingScope>("strict", "namespace-wide", "cluster-wide");
const data = fc.dictionary(dataKey, fc.uint8Array({ maxLength: 300 }), { minKeys: 1, maxKeys: 6 });

function secretOf(name: string, namespace: string, values: Record<string, Uint8Array>) {
  const encoded = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, data: encoded };
}

describe("sealed secrets invariants", () => {
  it("unsealing inverts sealing, for every scope", () => {
    fc.assert(fc.property(dnsLabel, dnsLabel, scope, data, (name, ns, sc, values) => {
      const input = secretOf(name, ns, values);
      const { object } = unsealSealedSecret(sealSecret(input, pair.certPem, sc), [key]);
      expect(object.data).toEqual(input.data);
      expect(object.metadata).toMatchObject({ name, namespace: ns });
    }), { numRuns });
  });

  it("a strict SealedSecret never unseals under another name or namespace", () => {
    fc.assert(fc.property(dnsLabel, dnsLabel, dnsLabel, dnsLabel, data, (name, ns, name2, ns2, values) => {
      fc.pre(name !== name2 || ns !== ns2);
      const sealed = sealSecret(secretOf(name, ns, values), pair.certPem, "strict");
      sealed.metadata = { ...sealed.metadata, name: name2, namespace: ns2 };
      expect(() => unsealSealedSecret(sealed, [key])).toThrow(SealedScopeMismatchError);
      delete sealed.spec.template; // With no trace of the old place, the cause cannot be named.
      expect(() => unsealSealedSecret(sealed, [key])).toThrow(NoKeyCouldDecryptError);
    }), { numRuns });
  });

  it("re-encryption keeps every value and moves the object to the new key", () => {
    fc.assert(fc.property(dnsLabel, dnsLabel, scope, data, (name, ns, sc, values) => {
      const input = secretOf(name, ns, values);
      const { sealedSecret } = reencryptSealedSecret(sealSecret(input, pair.certPem, sc), [key], next.certPem);
      expect(unsealSealedSecret(sealedSecret, [nextKey]).object.data).toEqual(input.data);
      expect(() => unsealSealedSecret(sealedSecret, [key])).toThrow();
    }), { numRuns });
  });
});
