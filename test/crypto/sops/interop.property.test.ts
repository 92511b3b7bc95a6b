/**
 * Property: for random trees, `sops -d` of a seal-encrypted file prints byte for byte what seal
 * decrypt prints (quoting, indentation, floats, ints, unicode — the whole go-yaml emitter surface).
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { decryptSopsFile, encryptSopsFile, type SopsFormat } from "../../../src/crypto/sops/index.js";
import { emitJson } from "../../../src/crypto/sops/format/json.js";
import { emitYaml } from "../../../src/crypto/sops/format/yaml.js";
import { TreeMap, type TreeValue } from "../../../src/crypto/sops/tree.js";
import { testAssets } from "../../env/assets.js";
import { ageKeygen, tempDir, write, type KeyPair } from "./helpers.js";

const RUNS = process.env.SLOW ? 150 : 12;
let key: KeyPair;
let dir: string;
beforeAll(() => {
  dir = tempDir();
  key = ageKeygen(dir);
});

const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.constantFrom("yes", "no", "on", "true", "null", "~", "1:20", "0x1F", "0777", "1e3", ".5", "- x", "a: b", "#c", " lead", "trail ", "a\nb", "a\n", "\n", "2024-01-02", "'q'", '"dq"', "é", "🚀", "\t", "k".repeat(130), "\u2028", "a\u0085b"),
);
const key_ = text.filter((k) => k !== "<<" && !k.includes("\n"));
const leaf: fc.Arbitrary<TreeValue> = fc.oneof(text, fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const { tree } = fc.letrec<{ tree: TreeValue; map: TreeMap; list: TreeValue[] }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("map"), tie("list")),
  map: fc.uniqueArray(fc.tuple(key_, tie("tree")), { selector: ([k]) => k, maxLength: 4 }).map((es) => new TreeMap(es.map(([k, v]) => ({ key: k, value: v })))),
  list: fc.array(tie("tree"), { maxLength: 3 }),
}));
const topMap = fc
  .uniqueArray(fc.tuple(key_.filter((k) => k !== "sops"), tree), { selector: ([k]) => k, minLength: 1, maxLength: 5 })
  .map((es) => new TreeMap(es.map(([k, v]) => ({ key: k, value: v }))));

function sopsDecrypt(file: string): string {
  const res = spawnSync(testAssets().sops, ["-d", file], { env: { ...process.env, SOPS_AGE_KEY_FILE: key.keyFile, SOPS_DISABLE_VERSION_CHECK: "1" } });
  if (res.status !== 0) throw new Error(`sops -d failed: ${res.stderr.toString()}`);
  return res.stdout.toString("utf8");
}

async function check(doc: TreeMap, format: SopsFormat): Promise<void> {
  const plain = Buffer.from(format === "yaml" ? emitYaml([doc]) : emitJson(doc));
  const enc = await encryptSopsFile(plain, { format, file: `p.${format}`, recipients: [key.recipient] });
  const file = write(dir, `prop.${format}`, enc);
  const ours = await decryptSopsFile(enc, { format, file, identities: key.identities });
  expect(ours.plaintext.revealText()).toBe(sopsDecrypt(file));
}

describe("seal and sops agree on random trees", () => {
  it("YAML", async () => {
    await fc.assert(fc.asyncProperty(topMap, (doc) => check(doc, "yaml")), { numRuns: RUNS });
  });
  it("JSON", async () => {
    await fc.assert(fc.asyncProperty(topMap, (doc) => check(doc, "json")), { numRuns: RUNS });
  });
});
