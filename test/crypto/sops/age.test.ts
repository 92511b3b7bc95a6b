/** age key files as age-keygen writes them, sops' own age unit vectors, key ids, Shamir key groups. */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import path from "node:path";
import { AgeKeyError, AgeRecipientError, keyIdOf, parseAgeIdentities, parseAgeKeyText, parseAgeRecipient, wrapDataKey, generateAgeIdentity } from "../../../src/crypto/age.js";
import { combineShares, splitSecret } from "../../../src/crypto/sops/shamir.js";
import { decryptSopsFile, encryptSopsFile, SopsNoMatchingKeyError } from "../../../src/crypto/sops/index.js";
import { vectorsDir } from "./helpers.js";

const keysource = (f: string) => readFileSync(path.join(vectorsDir, "getsops-sops/age-keysource-test", f), "utf8");

describe("age identities", () => {
  it("unwraps sops' age keysource vector to the 4 bytes 'data'", async () => {
    const [id] = parseAgeIdentities(keysource("identity.txt"), "identity.txt");
    expect(id!.recipient).toBe(keysource("recipient.txt").trim());
    const key = await id!.unwrap(keysource("encrypted-key.age.txt"));
    expect(Buffer.from(key!).toString()).toBe("data");
    const [other] = parseAgeIdentities(keysource("other-identity.txt"), "other");
    expect(await other!.unwrap(keysource("encrypted-key.age.txt"))).toBeNull();
  });

  it("reads comments, blank lines, CRLF and several identities; SOPS_AGE_KEY text splits on whitespace", () => {
    const a = keysource("identity.txt").trim();
    const b = keysource("other-identity.txt").trim();
    const ids = parseAgeIdentities(`# created: x\r\n# public key: y\r\n${a}\r\n\n${b}\n`, "keys.txt");
    expect(ids).toHaveLength(2);
    expect(parseAgeKeyText(`${a} ${b}`, "SOPS_AGE_KEY")).toHaveLength(2);
  });

  it("reads post-quantum hybrid identities", () => {
    const [pq] = parseAgeIdentities(keysource("hybrid-identity.txt"), "pq");
    expect(pq!.type).toBe("mlkem768x25519");
    expect(pq!.recipient.startsWith("age1pq1")).toBe(true);
    expect(keyIdOf(pq!)).toMatch(/^age1pq1:[0-9a-f]{16}$/);
  });

  it("rejects bad lines naming the line, never quoting it", () => {
    const bad = "AGE-SECRET-KEY-1NOTAREALKEYATALLXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
    expect(() => parseAgeIdentities(`# ok\n${bad}\n`, "keys.txt")).toThrow(AgeKeyError);
    expect(() => parseAgeIdentities(`# ok\n${bad}\n`, "keys.txt")).toThrow(/^keys\.txt line 2: not a valid age identity$/);
    expect(() => parseAgeIdentities("hello\n", "k")).toThrow(/k line 1: not an age identity/);
    expect(() => parseAgeIdentities("# only comments\n", "k")).toThrow(/no age identity found/);
    expect(() => parseAgeIdentities(keysource("encrypted-identity.age.txt"), "enc")).toThrow(/passphrase-protected/);
  });

  it("validates recipients", () => {
    expect(parseAgeRecipient(` ${keysource("recipient.txt").trim()} `)).toBe(keysource("recipient.txt").trim());
    expect(() => parseAgeRecipient("age1nope")).toThrow(AgeRecipientError);
    expect(() => parseAgeRecipient(keysource("ssh-recipient.pub"))).toThrow(/SSH recipients are not supported/);
  });

  it("wraps a data key the real sops layout expects (armored, trailing newline)", async () => {
    const [id] = parseAgeIdentities(keysource("identity.txt"), "identity.txt");
    const enc = await wrapDataKey(new Uint8Array(32).fill(7), id!.recipient);
    expect(enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END AGE ENCRYPTED FILE-----\n$/);
    expect(await id!.unwrap(enc)).toEqual(new Uint8Array(32).fill(7));
  });
});

describe("key groups (Shamir)", () => {
  it("split/combine recovers the secret from any threshold of shares", () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const shares = splitSecret(secret, 3, 2);
    expect(combineShares([shares[0]!, shares[2]!])).toEqual(secret);
    expect(combineShares([shares[1]!, shares[0]!])).toEqual(secret);
    expect(combineShares(shares)).toEqual(secret);
  });

  it("a file for two key groups with threshold 2 needs a key from each group", async () => {
    const a = await generateAgeIdentity();
    const b = await generateAgeIdentity();
    const enc = await encryptSopsFile(Buffer.from("k: v\n"), { format: "yaml", file: "g.yaml", keyGroups: [[a.recipient], [b.recipient]], shamirThreshold: 2 });
    expect(Buffer.from(enc).toString()).toContain("key_groups:");
    expect((await decryptSopsFile(enc, { format: "yaml", file: "g.yaml", identities: [a, b] })).plaintext.revealText()).toBe("k: v\n");
    await expect(decryptSopsFile(enc, { format: "yaml", file: "g.yaml", identities: [a] })).rejects.toThrow(SopsNoMatchingKeyError);
  });
});

describe("native X25519 unwrap", () => {
  it("agrees with age-encryption and the real age CLI, and rejects a damaged header", async () => {
    const { Decrypter, Encrypter, armor } = await import("age-encryption");
    const { testAssets } = await import("../../env/assets.js");
    const { run } = await import("../../env/run.js");
    const id = await generateAgeIdentity();
    const other = await generateAgeIdentity();
    for (const size of [0, 1, 32, 70_000]) {
      const data = Uint8Array.from({ length: size }, (_, i) => (i * 31) % 256);
      const e = new Encrypter();
      e.addRecipient(other.recipient);
      e.addRecipient(id.recipient);
      const enc = armor.encode(await e.encrypt(data));
      expect(await id.unwrap(enc)).toEqual(data);
      const d = new Decrypter();
      d.addIdentity(id.revealSecret());
      expect(await d.decrypt(armor.decode(enc))).toEqual(data);
    }
    // A file from the Go age CLI.
    const fromGo = run(testAssets().age, ["-r", id.recipient, "-a"], { input: "from go" });
    expect(Buffer.from((await id.unwrap(fromGo.stdout))!).toString()).toBe("from go");
    expect(await (await generateAgeIdentity()).unwrap(fromGo.stdout)).toBeNull();
    // Flip a bit of the header MAC line: the stanza is ours, so this is corruption, not "not for me".
    const raw = Buffer.from(armor.decode(fromGo.stdout));
    const at = raw.indexOf("\n--- ") + 6;
    raw[at] = raw[at] === 0x41 ? 0x42 : 0x41;
    await expect(id.unwrap(armor.encode(raw))).rejects.toThrow(/is corrupted \(invalid header HMAC\)/);
  });
});
