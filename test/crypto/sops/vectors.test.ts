/** Every real sops-written vector decrypts to its expected plaintext with a verified MAC. */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseAgeIdentities } from "../../../src/crypto/age.js";
import { decryptTrees, openTrees } from "../../../src/crypto/sops/decrypt.js";
import { treeToPlain } from "../../../src/crypto/sops/document.js";
import { decryptSopsFile, SopsMacMismatchError, SopsUnsupportedKeyError, formatForPath } from "../../../src/crypto/sops/index.js";
import { loadEncrypted } from "../../../src/crypto/sops/format/index.js";
import { sopsVectorsDir as vectors } from "../../env/fixtures.js";

const read = (p: string) => readFileSync(path.join(vectors, p));

interface Expected {
  data_key_hex: string;
  mac_plaintext: string;
  plaintext: Record<string, unknown>;
}
const expected = (p: string) => JSON.parse(read(`expected/${p}.expected.json`).toString("utf8")) as Expected;

const ageVectors: Array<[file: string, keys: string]> = [
  ["getsops-sops/pr1031-examples/example.yaml", "getsops-sops/pr1031-examples/keys.txt"],
  ["getsops-sops/pr1031-examples/example.json", "getsops-sops/pr1031-examples/keys.txt"],
  ["getsops-sops/pr1031-examples/example.txt", "getsops-sops/pr1031-examples/keys.txt"],
  ["humphd-sops-age/secret.enc.yaml", "humphd-sops-age/key.txt"],
  ["humphd-sops-age/secret.enc.json", "humphd-sops-age/key.txt"],
  ["humphd-sops-age/secret.enc.env", "humphd-sops-age/key.txt"],
  ["sops-nix/secrets.yaml", "sops-nix/age-keys.txt"],
  ["fluxcd-kustomize-controller/algorithms/age.yaml", "fluxcd-kustomize-controller/keys/age.txt"],
  ["fluxcd-kustomize-controller/algorithms/age-pq.yaml", "fluxcd-kustomize-controller/keys/age-pq.txt"],
  ["fluxcd-kustomize-controller/global/secret.yaml", "fluxcd-kustomize-controller/keys/age-global.txt"],
  ["fluxcd-kustomize-controller/patches/merge1.yaml", "fluxcd-kustomize-controller/keys/age.txt"],
  ["fluxcd-kustomize-controller/patches/merge2.yaml", "fluxcd-kustomize-controller/keys/age.txt"],
  ["fluxcd-kustomize-controller/envs/env.env", "fluxcd-kustomize-controller/keys/age.txt"],
  ["fluxcd-kustomize-controller/component/env.env", "fluxcd-kustomize-controller/keys/age.txt"],
  ["fluxcd-kustomize-controller/remote/env.env", "fluxcd-kustomize-controller/keys/age.txt"],
  ["fluxcd-kustomize-controller/files/file.txt", "fluxcd-kustomize-controller/keys/age.txt"],
];

const pgpVectors = [
  "getsops-sops/functional-tests-pgp/format.enc.yaml",
  "getsops-sops/functional-tests-pgp/format.enc.json",
  "getsops-sops/functional-tests-pgp/format.enc.env",
  "getsops-sops/functional-tests-pgp/comments.enc.yaml",
  "getsops-sops/functional-tests-pgp/comments_unencrypted_comments.yaml",
  "getsops-sops/functional-tests-pgp/multiple_keys.yaml",
  "getsops-sops/examples-head-pgp/example.yaml",
  "getsops-sops/examples-head-pgp/example.json",
  "getsops-sops/examples-head-pgp/example.txt",
];

/** A decrypted file as data: YAML/JSON by the yaml package, dotenv as KEY=value lines, binary as sops stores it ({ data }). */
function readPlain(text: string, format: string): unknown {
  if (format === "yaml" || format === "json") return parseYaml(text) as unknown;
  if (format === "dotenv") {
    return Object.fromEntries(text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }
  return { data: text };
}

/** The expected plaintext as JSON sees it (binary data is text in the vectors). */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x))) as unknown;
}

describe("age vectors", () => {
  it.each(ageVectors)("%s decrypts to the expected plaintext and MAC", async (file, keys) => {
    const exp = expected(file);
    const ids = parseAgeIdentities(read(keys).toString("utf8"), keys);
    const format = formatForPath(file);
    const enc = loadEncrypted(read(file), format, { file });
    const res = await decryptTrees(enc.docs, enc.metadata, ids, { file }, { binary: format === "binary" });
    expect(Buffer.from(res.dataKey).toString("hex")).toBe(exp.data_key_hex);
    expect(normalize(treeToPlain(res.docs[0]!))).toEqual(normalize(exp.plaintext));
    expect(ids.map((i) => i.recipient)).toContain(res.keyId.startsWith("age1pq1:") ? ids[0]!.recipient : res.keyId);
    // And through the file-level entry point: the same content, read back by an independent parser.
    const out = await decryptSopsFile(read(file), { format, file, identities: ids });
    expect(normalize(readPlain(out.plaintext.revealText(), format))).toEqual(normalize(exp.plaintext));
  });
});

describe("pgp vectors (data key from expected/)", () => {
  it.each(pgpVectors)("%s decrypts and verifies its MAC with the known data key", (file) => {
    const exp = expected(file);
    const format = formatForPath(file);
    const enc = loadEncrypted(read(file), format, { file });
    const docs = openTrees(enc.docs, enc.metadata, Buffer.from(exp.data_key_hex, "hex"), { file }, { binary: format === "binary" });
    expect(normalize(treeToPlain(docs[0]!))).toEqual(normalize(exp.plaintext));
  });

  it("a file wrapped only for pgp keys is refused with a clear message", async () => {
    const file = "getsops-sops/functional-tests-pgp/format.enc.yaml";
    const ids = parseAgeIdentities(read("humphd-sops-age/key.txt").toString("utf8"), "key.txt");
    const err = await decryptSopsFile(read(file), { format: "yaml", file, identities: ids }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(SopsUnsupportedKeyError);
    expect(err?.message).toMatch(/the data key is wrapped only with pgp master keys; seal decrypts age only/);
  });

  it("no_mac.yaml fails MAC verification", () => {
    const file = "getsops-sops/functional-tests-pgp/no_mac.yaml";
    const enc = loadEncrypted(read(file), "yaml", { file });
    // Any key will do: the missing MAC is detected regardless of the values.
    const key = Buffer.from(expected("getsops-sops/functional-tests-pgp/multiple_keys.yaml").data_key_hex, "hex");
    expect(() => openTrees(enc.docs, enc.metadata, key, { file })).toThrow(SopsMacMismatchError);
  });
});
