/**
 * Tampering with an encrypted file is always caught: flipped bytes, swapped or moved values, edited
 * clear-text values, deleted keys, reordered lists, an altered lastmodified. Errors name the file and
 * key path, say what to do, and never contain a decrypted value.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  decryptSopsFile,
  encryptSopsFile,
  SopsAuthenticationError,
  SopsMacMismatchError,
  SopsMetadataError,
  SopsNoMatchingKeyError,
  SopsValueFormatError,
} from "../../../src/crypto/sops/index.js";
import { generateAgeIdentity, type AgeIdentity } from "../../../src/crypto/age.js";

const PLAIN = `apiVersion: v1
kind: Secret
metadata:
    name: db
stringData:
    username: alice-the-admin
    password: correct-horse-battery
    hosts:
        - first-host
        - second-host
`;
const SECRETS = ["alice-the-admin", "correct-horse-battery", "first-host", "second-host"];

let me: AgeIdentity;
let encrypted: string;
let macOnly: string;

beforeAll(async () => {
  me = await generateAgeIdentity();
  const enc = (mac: boolean) => encryptSopsFile(Buffer.from(PLAIN), { format: "yaml", file: "db.yaml", recipients: [me.recipient], macOnlyEncrypted: mac });
  encrypted = Buffer.from(await enc(false)).toString("utf8");
  macOnly = Buffer.from(await enc(true)).toString("utf8");
});

const decrypt = (text: string, ids: AgeIdentity[] = [me]) => decryptSopsFile(Buffer.from(text), { format: "yaml", file: "db.yaml", identities: ids });

async function failure(text: string, ids?: AgeIdentity[]): Promise<Error> {
  try {
    await decrypt(text, ids);
  } catch (err) {
    const e = err as Error;
    for (const s of SECRETS) expect(e.message).not.toContain(s);
    expect(e.message).toMatch(/^db\.yaml/);
    return e;
  }
  throw new Error("decryption unexpectedly succeeded");
}

function valueOf(text: string, key: string): string {
  return new RegExp(`^\\s*${key}: (ENC\\[[^\\]]+\\])`, "m").exec(text)![1]!;
}

describe("tampering", () => {
  it("the untouched file decrypts (baseline)", async () => {
    const out = await decrypt(encrypted);
    expect(out.plaintext.revealText()).toBe(PLAIN);
  });

  it("a flipped byte in a value fails authentication at that key", async () => {
    const v = valueOf(encrypted, "password");
    const data = /data:([^,]+)/.exec(v)![1]!;
    const flipped = (data[0] === "A" ? "B" : "A") + data.slice(1);
    const err = await failure(encrypted.replace(v, v.replace(`data:${data}`, `data:${flipped}`)));
    expect(err).toBeInstanceOf(SopsAuthenticationError);
    expect(err.message).toContain("at key stringData.password");
  });

  it("two swapped values fail authentication (the key path is authenticated)", async () => {
    const u = valueOf(encrypted, "username");
    const p = valueOf(encrypted, "password");
    const swapped = encrypted.replace(u, "@@U@@").replace(p, u).replace("@@U@@", p);
    expect(await failure(swapped)).toBeInstanceOf(SopsAuthenticationError);
  });

  it("editing a clear-text value breaks the MAC", async () => {
    const err = await failure(encrypted.replace("name: db", "name: evil"));
    expect(err).toBeInstanceOf(SopsMacMismatchError);
    expect(err.message).toMatch(/MAC mismatch.*Restore the file from Git or re-encrypt it/);
  });

  it("with mac_only_encrypted, clear-text values may be edited", async () => {
    const out = await decrypt(macOnly.replace("name: db", "name: renamed"));
    expect(out.plaintext.revealText()).toContain("name: renamed");
  });

  it("with mac_only_encrypted, a deleted encrypted key still breaks the MAC", async () => {
    const line = new RegExp(`^\\s*username: ENC\\[[^\\]]+\\]\\n`, "m").exec(macOnly)![0];
    expect(await failure(macOnly.replace(line, ""))).toBeInstanceOf(SopsMacMismatchError);
  });

  it("deleting a key breaks the MAC", async () => {
    const line = new RegExp(`^\\s*username: ENC\\[[^\\]]+\\]\\n`, "m").exec(encrypted)![0];
    expect(await failure(encrypted.replace(line, ""))).toBeInstanceOf(SopsMacMismatchError);
  });

  it("reordering list items breaks the MAC", async () => {
    const items = [...encrypted.matchAll(/^(\s*- ENC\[[^\]]+\])$/gm)].map((m) => m[1]!);
    expect(items).toHaveLength(2);
    const reordered = encrypted.replace(items[0]!, "@@0@@").replace(items[1]!, items[0]!).replace("@@0@@", items[1]!);
    expect(await failure(reordered)).toBeInstanceOf(SopsMacMismatchError);
  });

  it("altering lastmodified breaks the MAC", async () => {
    const altered = encrypted.replace(/lastmodified: "(\d{4})/, (_m, y: string) => `lastmodified: "${Number(y) - 1}`);
    expect(altered).not.toBe(encrypted);
    expect(await failure(altered)).toBeInstanceOf(SopsMacMismatchError);
  });

  it("a removed MAC is refused", async () => {
    const err = await failure(encrypted.replace(/^ {4}mac: .*\n/m, ""));
    expect(err).toBeInstanceOf(SopsMacMismatchError);
    expect(err.message).toContain("has no MAC");
  });

  it("a plaintext value where an encrypted one belongs is refused", async () => {
    const err = await failure(encrypted.replace(valueOf(encrypted, "password"), "injected"));
    expect(err).toBeInstanceOf(SopsValueFormatError);
    expect(err.message).toContain("stringData.password");
  });

  it("a garbled ENC value is refused", async () => {
    const v = valueOf(encrypted, "password");
    expect(await failure(encrypted.replace(v, v.replace(/iv:[^,]+/, "iv:!!!")))).toBeInstanceOf(SopsValueFormatError);
  });

  it("a damaged comment is kept encrypted with a warning (comments are outside the MAC, as in sops)", async () => {
    const withComment = Buffer.from(
      await encryptSopsFile(Buffer.from(PLAIN.replace("stringData:\n", "stringData:\n    # rotate yearly\n")), { format: "yaml", file: "db.yaml", recipients: [me.recipient] }),
    ).toString();
    const damaged = withComment.replace(/#ENC\[AES256_GCM,data:(.)/, (_m, c: string) => `#ENC[AES256_GCM,data:${c === "A" ? "B" : "A"}`);
    const out = await decrypt(damaged);
    expect(out.warnings).toEqual(["db.yaml: a comment under stringData could not be decrypted and is kept encrypted"]);
    expect(out.plaintext.revealText()).toContain("#ENC[AES256_GCM,");
    expect((await decrypt(withComment)).plaintext.revealText()).toContain("# rotate yearly");
  });

  it("missing metadata is a metadata error", async () => {
    expect(await failure(PLAIN)).toBeInstanceOf(SopsMetadataError);
  });

  it("the wrong key names the file's recipients and the keys held, never key material", async () => {
    const other = await generateAgeIdentity();
    const err = await failure(encrypted, [other]);
    expect(err).toBeInstanceOf(SopsNoMatchingKeyError);
    expect(err.message).toContain(`encrypted to ${me.recipient}`);
    expect(err.message).toContain(`your keys: ${other.recipient}`);
    expect(err.message).not.toContain("AGE-SECRET-KEY");
  });
});
