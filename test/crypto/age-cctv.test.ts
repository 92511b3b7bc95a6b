/**
 * The C2SP CCTV age test vectors (test/fixtures/age-cctv, every X25519 binary vector), through both
 * decrypters sealsync uses: the native node:crypto X25519 path and age-encryption. A success must give
 * exactly the payload the vector's hash names; every failure must be refused, never decrypted.
 * The native path may answer "fallback" (defer to age-encryption) but must never give a wrong verdict.
 */
import { describe, expect, it } from "@jest/globals";
import { bech32 } from "@scure/base";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { inflateSync } from "node:zlib";
import { Decrypter } from "age-encryption";
import { AgeFileError, decryptX25519, x25519KeyFromScalar } from "../../src/crypto/age-x25519.js";
import { fixturesDir } from "../env/fixtures.js";

type Expect = "success" | "no match" | "HMAC failure" | "header failure" | "payload failure";

interface Vector {
  name: string;
  expect: Expect;
  payloadSha256: string;
  identities: string[];
  file: Uint8Array;
}

const dir = path.join(fixturesDir, "age-cctv");

function readVector(name: string): Vector {
  const raw = readFileSync(path.join(dir, name));
  const split = raw.indexOf("\n\n");
  const header = raw.subarray(0, split).toString("utf8").split("\n");
  const field = (key: string) => header.filter((l) => l.startsWith(`${key}: `)).map((l) => l.slice(key.length + 2));
  const body = raw.subarray(split + 2);
  return {
    name,
    expect: field("expect")[0] as Expect,
    payloadSha256: field("payload")[0] ?? "",
    identities: field("identity"),
    file: new Uint8Array(field("compressed")[0] === "zlib" ? inflateSync(body) : body),
  };
}

const vectors = readdirSync(dir).filter((n) => !n.endsWith(".md")).sort().map(readVector);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function nativeVerdict(v: Vector): { result: "fallback" } | { result: Expect; payload?: Buffer } {
  let sawNull = false;
  for (const identity of v.identities) {
    const scalar = bech32.fromWords(bech32.decode(identity as `${string}1${string}`, false).words);
    try {
      const r = decryptX25519(v.file, x25519KeyFromScalar(scalar));
      if (r === "fallback") return { result: "fallback" };
      if (r === null) sawNull = true;
      else return { result: "success", payload: r };
    } catch (err) {
      if (!(err instanceof AgeFileError)) throw err;
      return { result: /HMAC/.test(err.message) ? "HMAC failure" : "payload failure" };
    }
  }
  return { result: sawNull ? "no match" : "fallback" };
}

describe("C2SP CCTV age vectors", () => {
  it("are all here: X25519 vectors of every outcome", () => {
    expect(vectors.length).toBe(67);
    const outcomes = new Set(vectors.map((v) => v.expect));
    expect([...outcomes].sort()).toEqual(["HMAC failure", "header failure", "no match", "payload failure", "success"]);
  });

  it.each(vectors.map((v) => [v.name, v] as const))("native X25519 path: %s", (_name, v) => {
    const verdict = nativeVerdict(v);
    if (verdict.result === "fallback") {
      // Deferred to age-encryption, whose verdict the next test checks; a success must not be deferred.
      expect(v.expect).not.toBe("success");
      return;
    }
    if (v.expect === "success") {
      expect(verdict.result).toBe("success");
      expect(sha256((verdict as { payload: Buffer }).payload)).toBe(v.payloadSha256);
    } else if (v.expect === "no match") {
      expect(verdict.result).toBe("no match");
    } else {
      // A broken file for this key is refused; which failure is named may differ (header vs HMAC).
      expect(verdict.result).not.toBe("success");
      expect(verdict.result).not.toBe("no match");
    }
  });

  it.each(vectors.map((v) => [v.name, v] as const))("age-encryption path: %s", async (_name, v) => {
    const d = new Decrypter();
    for (const identity of v.identities) d.addIdentity(identity);
    if (v.expect === "success") {
      expect(sha256(await d.decrypt(v.file))).toBe(v.payloadSha256);
    } else {
      await expect(d.decrypt(v.file)).rejects.toThrow();
    }
  });

  it("the native path decides every success and no-match vector itself (no silent fallback)", () => {
    const decided = vectors.filter((v) => v.expect === "success" || v.expect === "no match").map((v) => [v.name, nativeVerdict(v).result]);
    expect(decided.filter(([, r]) => r === "fallback")).toEqual([]);
  });
});
