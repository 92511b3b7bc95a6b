/**
 * Reading manifests: sealsync's kubectl-compatible reader (YAML 1.1 typing, merge keys, key
 * stringification) vs the yaml package's plain YAML 1.2 parse it replaced, and vs kubectl's own
 * reading (`kubectl patch --local -o json`, no server) when the provisioned kubectl is there.
 * OBJECTS documents in one multi-document file. Prints medians and ratios.
 *
 *   npx tsx bench/manifest-read.ts
 *   OBJECTS=5000 RUNS=7 npx tsx bench/manifest-read.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { readManifests } from "../src/manifests/parse.js";

const OBJECTS = Number(process.env.OBJECTS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 5);

function manifest(i: number): string {
  return i % 2 === 0
    ? `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${i}
  labels: &labels {app: web-${i}, tier: front}
spec:
  replicas: 0x2
  revisionHistoryLimit: 1_0
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: "on"}]
      volumes:
      - name: scripts
        configMap: {name: scripts-${i}, defaultMode: 0755}
`
    : `apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts-${i}
data:
  run.sh: |
    #!/bin/sh
    echo ${i}
  enabled: "yes"
  when: 2001-12-14
`;
}

const text = Array.from({ length: OBJECTS }, (_, i) => manifest(i)).join("---\n");
const bytes = Buffer.from(text, "utf8");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function time(fn: () => number): { ms: number; objects: number } {
  const times: number[] = [];
  let objects = 0;
  fn(); // warm-up
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    objects = fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: median(times), objects };
}

const ours = time(() => readManifests(bytes, "bench.yaml").documents.length);
const plain = time(() => parseAllDocuments(bytes.toString("utf8")).map((d) => d.toJS() as unknown).filter((v) => v != null).length);
console.log(`${OBJECTS} objects, ${(bytes.length / 1024).toFixed(0)} KiB, median of ${RUNS} runs`);
console.log(`sealsync reader (kubectl rules): ${ours.ms.toFixed(1)} ms (${ours.objects} objects)`);
console.log(`yaml package, YAML 1.2 toJS:     ${plain.ms.toFixed(1)} ms (${plain.objects} objects), ratio ${(ours.ms / plain.ms).toFixed(2)}x`);

let kubectl: string | undefined;
try {
  kubectl = (JSON.parse(readFileSync(".cache/test-env.json", "utf8")) as { kubectl: string }).kubectl;
} catch {
  console.log("kubectl: not provisioned (npm run provision), skipped");
}
if (kubectl) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "sealsync-bench-")), "bench.yaml");
  writeFileSync(file, bytes);
  const k = time(() => {
    const res = spawnSync(kubectl as string, ["patch", "--local", "-f", file, "--type", "json", "-p", "[]", "-o", "json"],
      { env: { ...process.env, KUBECONFIG: "/dev/null" }, maxBuffer: 1 << 30 });
    return (res.stdout.toString().match(/^\{/gm) ?? []).length;
  });
  console.log(`kubectl patch --local -o json:   ${k.ms.toFixed(1)} ms (${k.objects} objects, process included), ratio ${(ours.ms / k.ms).toFixed(2)}x`);
}
