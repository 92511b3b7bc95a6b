/**
 * SOPS files: sops reads them by its own rules (go-yaml v3) for the MAC; the object sealsync applies is
 * what kubectl reads from the output of the real `sops -d`. Where the two readings differ (YAML 1.1
 * words and numbers left unencrypted), sops' reading wins, because that is what `sops -d | kubectl
 * apply -f -` does.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keyring } from "../../src/crypto/keyring.js";
import { parseFiles } from "../../src/manifests/parse.js";
import { decryptorsFor } from "../../src/reconcile/decryptors.js";
import { testAssets } from "../env/assets.js";
import { makeTestKeys, type TestKeys } from "../env/keys.js";
import { run, runAsync } from "../env/run.js";
import { testEnvState } from "../env/state.js";

const PLAINTEXT = `apiVersion: v1
kind: ConfigMap
metadata:
  name: sops-quirks
  labels:
    on: "x"
spec_unencrypted_looking:
  mode: 0755
  hex: 0x1F
  big: 1_000
  flag: yes
  off: n
  when: 2001-12-14
  sexagesimal: 1:30
data:
  password: hunter2-canary
  mode: "0755"
  flag: "yes"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: sops-second
data:
  on: "second"
`;

let keys: TestKeys;
let dir: string;

beforeAll(async () => {
  keys = await makeTestKeys();
  dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-sops-yaml-"));
});

function sopsEncrypt(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  const res = run(testAssets().sops, ["encrypt", "--age", keys.ageRecipient, "--encrypted-regex", "^data$", "--output", file, file]);
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return file;
}

/** `sops -d FILE | kubectl create --dry-run=client -o json -f -`: the objects kubectl would send. */
async function kubectlReadsSopsOutput(file: string): Promise<unknown[]> {
  const plain = run(testAssets().sops, ["decrypt", file], { env: { SOPS_AGE_KEY_FILE: path.join(keys.dir, "keys.txt") } });
  expect(plain.exitCode).toBe(0);
  const res = await runAsync(testAssets().kubectl, ["--kubeconfig", testEnvState().controlPlane.adminKubeconfig,
    "--cache-dir", path.join(dir, "cache"), "create", "--dry-run=client", "--validate=false", "-o", "json", "-f", "-"], { input: plain.stdout });
  expect(res.stderr).toBe("");
  return JSON.parse(`[${res.stdout.replace(/\}\n\{/g, "},{")}]`) as unknown[];
}

async function sealsyncDecrypts(file: string): Promise<unknown[]> {
  const rel = path.basename(file);
  const bytes = readFileSync(file);
  const { documents, errors } = parseFiles(new Map([[rel, bytes]]));
  expect(errors).toEqual([]);
  const ring = await Keyring.open({ dirs: [keys.dir], watch: false, resyncIntervalMs: 0 });
  const sops = decryptorsFor(ring, "ns").find((d) => d.format === "sops");
  const docs = documents.filter((d) => sops?.matches(d.body));
  expect(docs).toHaveLength(documents.length);
  const out = await sops?.decryptFile(docs, { path: rel, bytes });
  // kubectl fills in its context's namespace ("default"); sealsync its own when it applies.
  return (out ?? []).map((d) => ({ ...d.object, metadata: { namespace: "default", ...(d.object.metadata as object) } }));
}

describe("SOPS files are applied as kubectl reads `sops -d`", () => {
  it("gives the same objects as sops -d | kubectl for a multi-document file with YAML 1.1 words and numbers left in the clear", async () => {
    const file = sopsEncrypt("quirks.yaml", PLAINTEXT);
    const ours = await sealsyncDecrypts(file);
    expect(ours).toEqual(await kubectlReadsSopsOutput(file));
    // The unencrypted 0755 is 493 either way; the encrypted "0755" stays the text it was.
    const first = ours[0] as { spec_unencrypted_looking: Record<string, unknown>; data: Record<string, unknown>; metadata: { labels: unknown } };
    expect(first.spec_unencrypted_looking.mode).toBe(493);
    expect(first.data).toMatchObject({ mode: "0755", flag: "yes" });
    // Where the readings differ, sops' wins: it reads `yes` and the key `on` as text and `sops -d`
    // quotes them, where kubectl reading the file itself would see booleans.
    expect(first.spec_unencrypted_looking.flag).toBe("yes");
    expect(first.metadata.labels).toEqual({ on: "x" });
  });

  it("gives the same object as sops -d | kubectl for a SOPS JSON file", async () => {
    const json = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "sops-json" }, data: { a: "0755", b: "yes" }, n: 12 });
    const file = sopsEncrypt("cm.json", json);
    expect(await sealsyncDecrypts(file)).toEqual(await kubectlReadsSopsOutput(file));
  });
});
