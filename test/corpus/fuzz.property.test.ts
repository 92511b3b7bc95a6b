/**
 * Fuzzing the parsers a Git writer feeds (issue 11): the manifest reader (YAML and JSON), and the SOPS
 * readers (YAML, JSON, dotenv, and decryption of tampered files). Whatever the bytes: no crash (only
 * the parser's own error types), no hang (each run is bounded by the test's timeout), and no planted
 * value in any message.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { stringify } from "yaml";
import { generateAgeIdentity, type AgeIdentity } from "../../src/crypto/age.js";
import { decryptSopsFile, encryptSopsFile, loadPlain, SopsError, type SopsFormat } from "../../src/crypto/sops/index.js";
import { parseFiles } from "../../src/manifests/parse.js";

const RUNS = process.env.SLOW ? 2000 : 200;
const PLANTED = "Pl4ntedFuzzValue";

/** Bytes of a text, mutated: flipped, deleted, duplicated and inserted runs (brackets, quotes, anchors, digits). */
const mutated = (base: string) => fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.constantFrom("", "[", "]", "{", "}", "\"", "'", "&a ", "*a", ": ", "\n", "- ", "\t", "9999999999999999999", "1e999", "ENC[", "sops:", "\u0000", "#", "!!", "---\n", "%")), { maxLength: 6 })
  .map((edits) => edits.reduce((s, [at, del, ins]) => {
    const i = s.length ? at % s.length : 0;
    return s.slice(0, i) + ins + s.slice(i + del);
  }, base));

const manifest = (value: string) => ({
  apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fuzz", labels: { app: "a" } },
  data: { password: value, list: ["x", "y"] }, spec: { replicas: 3, nested: { a: [1, 2, { b: value }] } },
});
const yamlBase = stringify(manifest(PLANTED));
const jsonBase = JSON.stringify(manifest(PLANTED), null, 2);

function assertClean(messages: string[]): void {
  for (const m of messages) {
    expect(m).not.toContain(PLANTED);
    expect(m).not.toMatch(/\n\s+at /);
  }
}

describe("the manifest reader under fuzzing", () => {
  it("reads any text as documents or errors, never throws, never quotes a value", () => {
    fc.assert(fc.property(fc.oneof(mutated(yamlBase), mutated(jsonBase), fc.string({ unit: "binary", maxLength: 400 })), fc.boolean(), (text, json) => {
      const { errors } = parseFiles(new Map([[json ? "f.json" : "f.yaml", new TextEncoder().encode(text)]]));
      assertClean(errors.map((e) => e.message));
    }), { numRuns: RUNS });
  });

  it("refuses nesting of any depth with a clear error, no RangeError", () => {
    fc.assert(fc.property(fc.integer({ min: 500, max: 300_000 }), fc.constantFrom("[", "{\"a\":", "{a: "), fc.boolean(), (depth, open, json) => {
      const text = `${json ? "" : "a: "}${open.repeat(depth)}1`;
      const { errors } = parseFiles(new Map([[json ? "f.json" : "f.yaml", new TextEncoder().encode(text)]]));
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/nested deeper than 512 levels|invalid (JSON|YAML)/)]);
    }), { numRuns: 30 });
  });
});

describe("the SOPS readers under fuzzing", () => {
  let id: AgeIdentity;
  const encrypted: Partial<Record<SopsFormat, string>> = {};
  const plain: Record<"yaml" | "json" | "dotenv", string> = {
    yaml: `password: ${PLANTED}\nuser: someone\nport: 5432\n`,
    json: JSON.stringify({ password: PLANTED, user: "someone", port: 5432 }),
    dotenv: `PASSWORD=${PLANTED}\nUSER=someone\n`,
  };
  beforeAll(async () => {
    id = await generateAgeIdentity();
    for (const format of ["yaml", "json", "dotenv"] as const) {
      encrypted[format] = Buffer.from(await encryptSopsFile(Buffer.from(plain[format]), { format, file: `f.${format}`, recipients: [id.recipient] })).toString();
    }
  });

  for (const format of ["yaml", "json", "dotenv"] as const) {
    it(`${format}: plaintext of any shape loads or fails with a SopsError`, () => {
      fc.assert(fc.property(fc.oneof(mutated(plain[format]), fc.string({ unit: "binary", maxLength: 300 })), (text) => {
        try {
          loadPlain(Buffer.from(text), format, { file: `f.${format}` });
        } catch (err) {
          expect(err).toBeInstanceOf(SopsError);
          assertClean([(err as Error).message]);
        }
      }), { numRuns: RUNS });
    });

    it(`${format}: a tampered encrypted file decrypts to the original or fails with a SopsError quoting nothing`, async () => {
      await fc.assert(fc.asyncProperty(mutated(encrypted[format] as string), async (text) => {
        try {
          const out = Buffer.from((await decryptSopsFile(Buffer.from(text), { format, file: `f.${format}`, identities: [id] })).plaintext.revealBytes()).toString();
          // Accepted only if what it says is what was encrypted (edits in whitespace or comments).
          expect(out).toContain(PLANTED);
        } catch (err) {
          expect(err).toBeInstanceOf(SopsError);
          assertClean([(err as Error).message]);
        }
      }), { numRuns: Math.round(RUNS / 2) });
    }, 120_000);
  }
});
