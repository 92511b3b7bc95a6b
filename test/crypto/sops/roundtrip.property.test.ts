/** Property: random YAML/JSON trees round-trip through encrypt → decrypt unchanged. */
import { beforeAll, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { generateAgeIdentity, type AgeIdentity } from "../../../src/crypto/age.js";
import { decryptSopsFile, encryptSopsFile, loadPlain, treeToPlain, type SopsFormat } from "../../../src/crypto/sops/index.js";
import { emitJson } from "../../../src/crypto/sops/format/json.js";
import { emitYaml } from "../../../src/crypto/sops/format/yaml.js";
import { TreeMap, type TreeValue } from "../../../src/crypto/sops/tree.js";

const RUNS = process.env.SLOW ? 300 : 30;
let id: AgeIdentity;
beforeAll(async () => {
  id = await generateAgeIdentity();
});

const text = fc.string({ unit: "binary", maxLength: 24 });
const key = text.filter((k) => k !== "<<");
const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
const float = fc.double({ noNaN: true, noDefaultInfinity: true });
const leaf: fc.Arbitrary<TreeValue> = fc.oneof(text, int64, float, fc.boolean(), fc.constant(null));

const { tree } = fc.letrec<{ tree: TreeValue; map: TreeMap; list: TreeValue[] }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("map"), tie("list")),
  map: fc.uniqueArray(fc.tuple(key, tie("tree")), { selector: ([k]) => k, maxLength: 5 }).map((es) => new TreeMap(es.map(([k, v]) => ({ key: k, value: v })))),
  list: fc.array(tie("tree"), { maxLength: 4 }),
}));
const topMap = fc
  .uniqueArray(fc.tuple(key.filter((k) => k !== "sops"), tree), { selector: ([k]) => k, minLength: 1, maxLength: 6 })
  .map((es) => new TreeMap(es.map(([k, v]) => ({ key: k, value: v }))));

/** Integral floats print like ints in YAML and JSON (as with sops), so compare numbers by value. */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint" || typeof v === "number") return Number(v) === 0 ? 0 : Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

async function roundTrip(doc: TreeMap, format: SopsFormat): Promise<void> {
  const plain = Buffer.from(format === "yaml" ? emitYaml([doc]) : emitJson(doc));
  const enc = await encryptSopsFile(plain, { format, file: `p.${format}`, recipients: [id.recipient] });
  const out = await decryptSopsFile(enc, { format, file: `p.${format}`, identities: [id] });
  // Decrypted output is exactly the plaintext as this store writes it…
  expect(out.plaintext.revealText()).toBe(plain.toString("utf8"));
  // …and parses back to the same values.
  const back = loadPlain(out.plaintext.revealBytes(), format, { file: "p" })[0]!;
  expect(normalize(treeToPlain(back))).toEqual(normalize(treeToPlain(doc)));
}

describe("encrypt → decrypt round trip", () => {
  it("YAML trees (unicode, empty strings, 64-bit ints, floats, nested lists) are unchanged", async () => {
    await fc.assert(fc.asyncProperty(topMap, (doc) => roundTrip(doc, "yaml")), { numRuns: RUNS });
  });

  it("JSON trees are unchanged", async () => {
    await fc.assert(fc.asyncProperty(topMap, (doc) => roundTrip(doc, "json")), { numRuns: RUNS });
  });
});
