/** The sync engine's entry points: parsed documents in, plain objects and the opening key's id out. */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { inspect } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { generateAgeIdentity, keyIdOf, type AgeIdentity } from "../../../src/crypto/age.js";
import { SecretValue } from "../../../src/crypto/secret-value.js";
import {
  decryptSopsDocument,
  decryptSopsDocuments,
  decryptSopsFile,
  encryptSopsFile,
  isSopsDocument,
  SopsMacMismatchError,
  SopsNoMatchingKeyError,
} from "../../../src/crypto/sops/index.js";

let alice: AgeIdentity;
let bob: AgeIdentity;
beforeAll(async () => {
  alice = await generateAgeIdentity();
  bob = await generateAgeIdentity();
});

const SECRET = `apiVersion: v1
kind: Secret
metadata:
    name: db
    labels:
        tier: "2"
stringData:
    password: hunter2
    port: 5432
    ratio: 0.5
    enabled: true
`;

describe("decryptSopsDocument", () => {
  it("decrypts a document parsed with the yaml package and reports the key that opened it", async () => {
    const enc = Buffer.from(await encryptSopsFile(Buffer.from(SECRET), { format: "yaml", file: "db.yaml", recipients: [bob.recipient, alice.recipient] })).toString();
    const doc = parse(enc, { intAsBigInt: true }) as Record<string, unknown>;
    expect(isSopsDocument(doc)).toBe(true);
    const { object, keyId } = await decryptSopsDocument(doc, [alice], { file: "db.yaml" });
    expect(keyId).toBe(keyIdOf(alice));
    expect(object).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", labels: { tier: "2" } },
      stringData: { password: "hunter2", port: 5432, ratio: 0.5, enabled: true },
    });
    expect("sops" in object).toBe(false);
  });

  it("works with documents from JSON.parse too", async () => {
    const enc = await encryptSopsFile(Buffer.from('{"user":"u","n":7,"f":2.5}'), { format: "json", file: "a.json", recipients: [alice.recipient] });
    const doc = JSON.parse(Buffer.from(enc).toString()) as Record<string, unknown>;
    expect((await decryptSopsDocument(doc, [alice], { file: "a.json" })).object).toEqual({ user: "u", n: 7, f: 2.5 });
  });

  it("fails with a typed, located error for a wrong key and for tampering", async () => {
    const enc = Buffer.from(await encryptSopsFile(Buffer.from(SECRET), { format: "yaml", file: "db.yaml", recipients: [alice.recipient] })).toString();
    const doc = parse(enc) as Record<string, unknown>;
    await expect(decryptSopsDocument(doc, [bob], { file: "repo/db.yaml", index: 2 })).rejects.toThrow(SopsNoMatchingKeyError);
    await expect(decryptSopsDocument(doc, [bob], { file: "repo/db.yaml", index: 2 })).rejects.toThrow(/^repo\/db\.yaml \(document 3\): cannot decrypt/);
    (doc.metadata as Record<string, unknown>).name = "other";
    await expect(decryptSopsDocument(doc, [alice], { file: "db.yaml" })).rejects.toThrow(SopsMacMismatchError);
  });

  it("isSopsDocument is false for plain manifests and odd values", () => {
    expect(isSopsDocument(parse(SECRET))).toBe(false);
    expect(isSopsDocument(null)).toBe(false);
    expect(isSopsDocument([])).toBe(false);
    expect(isSopsDocument({ sops: "x" })).toBe(false);
  });
});

describe("decryptSopsDocuments (multi-document files)", () => {
  it("decrypts all documents together (one MAC covers them); one alone fails with a hint", async () => {
    const multi = `${SECRET}---\napiVersion: v1\nkind: Secret\nmetadata:\n    name: two\nstringData:\n    k: v\n`;
    const enc = Buffer.from(await encryptSopsFile(Buffer.from(multi), { format: "yaml", file: "m.yaml", recipients: [alice.recipient] })).toString();
    const docs = parseAllDocuments(enc).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs).toHaveLength(2);
    const { objects } = await decryptSopsDocuments(docs, [alice], { file: "m.yaml" });
    expect(objects.map((o) => (o.metadata as { name: string }).name)).toEqual(["db", "two"]);
    await expect(decryptSopsDocument(docs[1]!, [alice], { file: "m.yaml", index: 1 })).rejects.toThrow(/decrypt them together/);
  });
});

describe("SecretValue", () => {
  it("never prints its plaintext by accident", async () => {
    const enc = await encryptSopsFile(Buffer.from(SECRET), { format: "yaml", file: "db.yaml", recipients: [alice.recipient] });
    const { plaintext } = await decryptSopsFile(enc, { format: "yaml", file: "db.yaml", identities: [alice] });
    expect(plaintext).toBeInstanceOf(SecretValue);
    for (const shown of [String(plaintext), `${plaintext}`, JSON.stringify({ plaintext }), inspect(plaintext), inspect({ deep: { plaintext } })]) {
      expect(shown).not.toContain("hunter2");
      expect(shown).toContain("[REDACTED]");
    }
    expect(plaintext.revealText()).toContain("hunter2");
  });

  it("identities print as their recipient only", () => {
    for (const shown of [String(alice), JSON.stringify(alice), inspect(alice)]) {
      expect(shown).toContain(alice.recipient);
      expect(shown).not.toContain("AGE-SECRET-KEY");
    }
  });
});
