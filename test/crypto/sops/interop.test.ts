/**
 * Interoperability with the real sops binary, both directions, byte-exact plaintext: files written by
 * seal decrypt with `sops -d`, files written by `sops -e` decrypt with seal, and both print exactly
 * what `sops -d` prints.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { decryptSopsFile, encryptSopsFile, formatForPath, type Selectors, type SopsFormat } from "../../../src/crypto/sops/index.js";
import { testAssets } from "../../env/assets.js";
import { ageKeygen, fixtures, sops, tempDir, write, type KeyPair } from "./helpers.js";

let dir: string;
let key: KeyPair;

beforeAll(() => {
  dir = tempDir();
  key = ageKeygen(dir);
});

/** sops -d, returning raw stdout bytes (binary files are not UTF-8). */
function sopsDecrypt(file: string, type?: SopsFormat): Buffer {
  const args = ["-d", ...(type ? ["--input-type", type, "--output-type", type] : []), file];
  const res = spawnSync(testAssets().sops, args, { env: { ...process.env, SOPS_AGE_KEY_FILE: key.keyFile, SOPS_DISABLE_VERSION_CHECK: "1" } });
  if (res.status !== 0) throw new Error(`sops -d ${path.basename(file)} failed: ${res.stderr.toString()}`);
  return res.stdout;
}

interface Case {
  name: string;
  fixture: string;
  selectors?: Selectors;
  macOnlyEncrypted?: boolean;
  sopsFlags: string[];
}

const cases: Case[] = [
  { name: "YAML, default _unencrypted suffix", fixture: "app.yaml", sopsFlags: [] },
  { name: "YAML comments (head, inline, foot at every level)", fixture: "comments.yaml", sopsFlags: [] },
  { name: "YAML Secret, encrypted_regex", fixture: "secret.yaml", selectors: { encryptedRegex: "^(data|stringData)$" }, sopsFlags: ["--encrypted-regex", "^(data|stringData)$"] },
  { name: "YAML multi-document", fixture: "multi.yaml", selectors: { encryptedRegex: "^(data|stringData)$" }, sopsFlags: ["--encrypted-regex", "^(data|stringData)$"] },
  { name: "YAML, unencrypted_regex", fixture: "app.yaml", selectors: { unencryptedRegex: "^(name|port|nested)$" }, sopsFlags: ["--unencrypted-regex", "^(name|port|nested)$"] },
  { name: "YAML, encrypted_suffix", fixture: "app.yaml", selectors: { encryptedSuffix: "word" }, sopsFlags: ["--encrypted-suffix", "word"] },
  { name: "YAML, unencrypted_suffix", fixture: "app.yaml", selectors: { unencryptedSuffix: "_key" }, sopsFlags: ["--unencrypted-suffix", "_key"] },
  {
    name: "YAML Secret, mac_only_encrypted",
    fixture: "secret.yaml",
    selectors: { encryptedRegex: "^(data|stringData)$" },
    macOnlyEncrypted: true,
    sopsFlags: ["--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted"],
  },
  { name: "JSON", fixture: "app.json", sopsFlags: [] },
  { name: "JSON, mac_only_encrypted", fixture: "app.json", selectors: { encryptedRegex: "^pass" }, macOnlyEncrypted: true, sopsFlags: ["--encrypted-regex", "^pass", "--mac-only-encrypted"] },
  { name: "dotenv", fixture: "app.env", sopsFlags: [] },
  { name: "binary", fixture: "blob.bin", sopsFlags: [] },
];

describe.each(cases)("$name", ({ fixture, selectors, macOnlyEncrypted, sopsFlags }) => {
  const input = () => readFileSync(path.join(fixtures, fixture));
  const format = formatForPath(fixture);
  let expected: Buffer;
  let sopsFile: string;

  beforeAll(() => {
    // What sops itself prints for this input: sops -e then sops -d.
    const res = sops(["-e", "--age", key.recipient, ...sopsFlags, path.join(fixtures, fixture)]);
    expect(res.stderr).toBe("");
    sopsFile = write(dir, `sops-${Math.random().toString(36).slice(2)}-${fixture}`, res.stdout);
    expected = sopsDecrypt(sopsFile);
  });

  it("seal encrypt → sops -d gives exactly what sops -e → sops -d gives", async () => {
    const enc = await encryptSopsFile(input(), { format, file: fixture, recipients: [key.recipient], selectors, macOnlyEncrypted });
    const file = write(dir, `seal-${Math.random().toString(36).slice(2)}-${fixture}`, enc);
    expect(sopsDecrypt(file).equals(expected)).toBe(true);
  });

  it("sops -e → seal decrypt prints exactly what sops -d prints", async () => {
    const out = await decryptSopsFile(readFileSync(sopsFile), { format, file: sopsFile, identities: key.identities });
    expect(Buffer.from(out.plaintext.revealBytes()).toString("latin1")).toBe(expected.toString("latin1"));
    expect(out.keyId).toBe(key.recipient);
  });

  it("seal writes the metadata layout sops 3.13 writes", async () => {
    const enc = Buffer.from(await encryptSopsFile(input(), { format, file: fixture, recipients: [key.recipient], selectors, macOnlyEncrypted }));
    const theirs = readFileSync(sopsFile);
    // Same structure once the random parts (ciphertexts, IVs, tags, armored keys, timestamps) are masked.
    const mask = (b: Buffer) =>
      b.toString("utf8")
        .replace(/ENC\[AES256_GCM,data:[^\]]*\]/g, "ENC[…]")
        .replace(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g, "AGE")
        .replace(/(lastmodified["=:]*\s*"?)[0-9TZ:-]+/g, "$1TIME");
    expect(mask(enc)).toBe(mask(theirs));
  });
});

describe("post-quantum recipients", () => {
  it("a file seal encrypts to an age1pq1… recipient decrypts with the real sops, and back", async () => {
    const { generateAgeIdentity, formatAgeKeyFile } = await import("../../../src/crypto/age.js");
    const pq = await generateAgeIdentity({ postQuantum: true });
    const keyFile = write(dir, "pq-keys.txt", formatAgeKeyFile(pq));
    const plain = readFileSync(path.join(fixtures, "secret.yaml"));
    const enc = await encryptSopsFile(plain, { format: "yaml", file: "secret.yaml", recipients: [pq.recipient] });
    const file = write(dir, "pq.enc.yaml", enc);
    const res = spawnSync(testAssets().sops, ["-d", file], { env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile, SOPS_DISABLE_VERSION_CHECK: "1" } });
    expect(res.stderr.toString()).toBe("");
    const theirs = sops(["-e", "--age", pq.recipient, path.join(fixtures, "secret.yaml")]);
    expect(theirs.exitCode).toBe(0);
    const ours = await decryptSopsFile(Buffer.from(theirs.stdout), { format: "yaml", file: "theirs.yaml", identities: [pq] });
    expect(ours.plaintext.revealText()).toBe(res.stdout.toString());
  });
});

describe("key groups (Shamir)", () => {
  it("two groups with threshold 2 interoperate both ways", async () => {
    const a = ageKeygen(dir, "group-a.txt");
    const b = ageKeygen(dir, "group-b.txt");
    const both = write(dir, "group-both.txt", readFileSync(a.keyFile, "utf8") + readFileSync(b.keyFile, "utf8"));
    const plain = readFileSync(path.join(fixtures, "app.json"));
    const enc = await encryptSopsFile(plain, { format: "json", file: "g.json", keyGroups: [[a.recipient], [b.recipient]], shamirThreshold: 2 });
    const file = write(dir, "groups.enc.json", enc);
    const res = spawnSync(testAssets().sops, ["-d", file], { env: { ...process.env, SOPS_AGE_KEY_FILE: both, SOPS_DISABLE_VERSION_CHECK: "1" } });
    expect(res.status).toBe(0);
    const cfgDir = tempDir();
    write(cfgDir, ".sops.yaml", `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n`);
    write(cfgDir, "g.json", plain);
    const theirs = sops(["-e", "g.json"], { cwd: cfgDir });
    expect(theirs.exitCode).toBe(0);
    const ours = await decryptSopsFile(Buffer.from(theirs.stdout), { format: "json", file: "theirs.json", identities: [...a.identities, ...b.identities] });
    expect(ours.plaintext.revealText()).toBe(res.stdout.toString());
  });
});
