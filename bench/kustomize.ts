/**
 * Benchmark: what a kustomization costs before anything is applied. The desired set of
 *   (a) a 3-overlay tree (one base of 5 apps, overlays dev/staging/prod with prefixes, labels, a patch,
 *       a generator), each overlay built as its own --path;
 *   (b) a 1,000-object kustomization (bench/object-mix.ts, 200 SOPS Secrets) built by kustomize, with
 *       every Secret value replaced by a placeholder and put back;
 *   (c) the same 1,000 objects as a plain folder (parsed and decrypted, no kustomize);
 * read from a local folder (the Git read is the same for both and measured in bench/sync.ts).
 * Prints medians over --runs and the ratio (b)/(c).
 *
 *   npx tsx bench/kustomize.ts [--runs 5]      # needs kustomize (npm run provision, or on PATH)
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildKustomization } from "../src/build/kustomize/index.js";
import { ageRecipientOf, formatAgeKeyFile, generateAgeIdentity } from "../src/crypto/age.js";
import { Keyring } from "../src/crypto/keyring.js";
import { encryptSopsFile } from "../src/crypto/sops/index.js";
import { parseFiles } from "../src/manifests/parse.js";
import { decryptorsFor } from "../src/reconcile/decryptors.js";
import { DirSource } from "../src/source/dir.js";
import { repoRoot } from "../test/env/assets.js";
import { APPS, appManifests, secretManifest } from "./object-mix.js";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const envFile = path.join(repoRoot, ".cache/test-env.json");
const kustomize = existsSync(envFile)
  ? (JSON.parse((await import("node:fs")).readFileSync(envFile, "utf8")) as { kustomize?: string }).kustomize ?? "kustomize"
  : "kustomize";

const work = mkdtempSync(path.join(os.tmpdir(), "sealsync-kbench-"));
const write = (p: string, text: string) => {
  mkdirSync(path.dirname(path.join(work, p)), { recursive: true });
  writeFileSync(path.join(work, p), text);
};

// Keys and 200 SOPS Secrets.
const identity = await generateAgeIdentity();
const recipient = ageRecipientOf(identity);
write("keys/keys.txt", formatAgeKeyFile(identity));
const keyring = await Keyring.open({ dirs: [path.join(work, "keys")], watch: false, resyncIntervalMs: 0 });
const decryptors = decryptorsFor(keyring, "bench");
const secrets: string[] = [];
for (let i = 0; i < APPS; i++) {
  const enc = await encryptSopsFile(Buffer.from(secretManifest(i)), { format: "yaml", file: `s${i}.yaml`, recipients: [recipient] });
  secrets.push(Buffer.from(enc).toString("utf8"));
}

// (b) and (c): the same 1,000 objects, as a kustomization and as a plain folder.
for (let i = 0; i < APPS; i++) {
  write(`big/app${i}.yaml`, appManifests(i));
  write(`big/app${i}-secret.sops.yaml`, secrets[i] as string);
  write(`plain/app${i}.yaml`, appManifests(i));
  write(`plain/app${i}-secret.sops.yaml`, secrets[i] as string);
}
write("big/kustomization.yaml", `resources:\n${Array.from({ length: APPS }, (_, i) => `  - app${i}.yaml\n  - app${i}-secret.sops.yaml\n`).join("")}`);

// (a): base + 3 overlays.
for (let i = 0; i < 5; i++) {
  write(`tree/base/app${i}.yaml`, appManifests(i));
  write(`tree/base/app${i}-secret.sops.yaml`, secrets[i] as string);
}
write("tree/base/kustomization.yaml", `resources:\n${Array.from({ length: 5 }, (_, i) => `  - app${i}.yaml\n  - app${i}-secret.sops.yaml\n`).join("")}`);
for (const env of ["dev", "staging", "prod"]) {
  write(`tree/overlays/${env}/kustomization.yaml`, `resources: [../../base]\nnamePrefix: ${env}-\ncommonLabels: {env: ${env}}\n` +
    `patches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 1\n` +
    `configMapGenerator:\n  - name: env\n    literals: [ENV=${env}]\n`);
}

const dataDir = path.join(work, "data");
const key = randomBytes(32);
async function built(dir: string, at: string): Promise<number> {
  const revision = await new DirSource({ dir: path.join(work, dir), path: at }).fetch();
  const out = await buildKustomization(revision, { decryptors, key, namespace: "bench", dataDir, command: kustomize });
  return out.documents.length;
}
async function plain(): Promise<number> {
  const revision = await new DirSource({ dir: path.join(work, "plain") }).fetch();
  const { documents } = parseFiles(revision.files);
  let n = 0;
  for (let i = 0; i < documents.length; i += 1) {
    const d = documents[i];
    if (d && decryptors[0]?.matches(d.body)) {
      await decryptors[0].decryptFile([{ body: d.body, ref: d.ref }], { path: d.ref.file, bytes: revision.files.get(d.ref.file) ?? new Uint8Array() });
    }
    n++;
  }
  return n;
}

async function time(fn: () => Promise<number>): Promise<{ ms: number; objects: number }> {
  const times: number[] = [];
  let objects = 0;
  for (let r = 0; r < runs; r++) {
    const t = process.hrtime.bigint();
    objects = await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: median(times), objects };
}

console.log(`sealsync kustomize bench: node ${process.version}, ${kustomize}, ${runs} runs, medians`);
const tree = await time(async () => (await built("tree", "overlays/dev")) + (await built("tree", "overlays/staging")) + (await built("tree", "overlays/prod")));
console.log(`3-overlay tree (3 builds, ${tree.objects} objects):         ${tree.ms.toFixed(0)} ms`);
const big = await time(() => built("big", "."));
console.log(`1,000-object kustomization (200 SOPS Secrets):   ${big.ms.toFixed(0)} ms  (${big.objects} objects)`);
const flat = await time(plain);
console.log(`same objects as a plain folder (parse+decrypt):  ${flat.ms.toFixed(0)} ms  (${flat.objects} objects)`);
console.log(`ratio kustomization / plain folder:              ${(big.ms / flat.ms).toFixed(2)}x`);
await keyring.close();
rmSync(work, { recursive: true, force: true });
