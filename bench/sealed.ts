/**
 * Cost per item of sealing and unsealing SealedSecret items, sealsync vs the real kubeseal, at 2048 and
 * 4096 bits. Medians over repeated runs. kubeseal's per-item cost is taken from the slope between a
 * 1-item and an N-item Secret, so its process start-up is not counted against it.
 *
 *   npx tsx bench/sealed.ts            # N=100 items, 7 runs (kubeseal 5)
 *   ITEMS=200 RUNS=11 npx tsx bench/sealed.ts
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  generateSealingKeyPair, loadRsaKey, sealSecret, unsealSealedSecret, type RsaKey, type SealingKeyPair,
} from "../src/crypto/sealed/index.js";
import { kubeseal } from "../test/crypto/sealed/helpers.js";

const ITEMS = Number(process.env.ITEMS ?? 100);
const RUNS = Number(process.env.RUNS ?? 7);
const KUBESEAL_RUNS = Number(process.env.KUBESEAL_RUNS ?? 5);
const VALUE_BYTES = 64;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function secretWith(n: number): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (let i = 0; i < n; i++) data[`item-${i}`] = Buffer.alloc(VALUE_BYTES, i).toString("base64");
  return { apiVersion: "v1", kind: "Secret", metadata: { name: "bench", namespace: "bench" }, data };
}

function ok(args: string[], input: string): void {
  const r = kubeseal(args, input);
  if (r.exitCode !== 0) throw new Error(`kubeseal ${args.join(" ")}: ${r.stderr}`);
}

interface Row {
  bits: number;
  op: string;
  sealsyncMs: number;
  kubesealMs: number;
}

async function benchBits(bits: number, dir: string): Promise<Row[]> {
  const pair: SealingKeyPair = await generateSealingKeyPair({ bits });
  const key: RsaKey = loadRsaKey(pair.keyPem, "bench", pair.certPem);
  const decoys = await Promise.all([1, 2].map(() => generateSealingKeyPair({ bits })));
  const decoyKeys = decoys.map((d, i) => loadRsaKey(d.keyPem, `decoy${i}`, d.certPem));
  const certFile = path.join(dir, `${bits}.crt`);
  const keyFile = path.join(dir, `${bits}.key`);
  fs.writeFileSync(certFile, pair.certPem);
  fs.writeFileSync(keyFile, pair.keyPem, { mode: 0o600 });

  const big = secretWith(ITEMS);
  const one = secretWith(1);
  const sealedBig = sealSecret(big, pair.certPem);
  const sealedOne = sealSecret(one, pair.certPem);
  unsealSealedSecret(sealedBig, [key]); // Warm up.

  const seal = median(Array.from({ length: RUNS }, () => timeMs(() => sealSecret(big, pair.certPem)))) / ITEMS;
  const unseal = median(Array.from({ length: RUNS }, () => timeMs(() => unsealSealedSecret(sealedBig, [key])))) / ITEMS;
  // Worst case of a rotated keyring: the right key is tried last for the first item (then remembered).
  const unseal3 = median(Array.from({ length: RUNS }, () => timeMs(() => unsealSealedSecret(sealedBig, [...decoyKeys, key])))) / ITEMS;

  const slope = (runBig: () => void, runOne: () => void): number => {
    const tBig = median(Array.from({ length: KUBESEAL_RUNS }, () => timeMs(runBig)));
    const tOne = median(Array.from({ length: KUBESEAL_RUNS }, () => timeMs(runOne)));
    return (tBig - tOne) / (ITEMS - 1);
  };
  const ksSeal = slope(
    () => ok(["--cert", certFile, "-o", "json"], JSON.stringify(big)),
    () => ok(["--cert", certFile, "-o", "json"], JSON.stringify(one)),
  );
  const ksUnseal = slope(
    () => ok(["--recovery-unseal", "--recovery-private-key", keyFile, "-o", "json"], JSON.stringify(sealedBig)),
    () => ok(["--recovery-unseal", "--recovery-private-key", keyFile, "-o", "json"], JSON.stringify(sealedOne)),
  );
  return [
    { bits, op: "seal", sealsyncMs: seal, kubesealMs: ksSeal },
    { bits, op: "unseal", sealsyncMs: unseal, kubesealMs: ksUnseal },
    { bits, op: "unseal, 3 keys (right one last)", sealsyncMs: unseal3, kubesealMs: NaN },
  ];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sealsync-bench-"));
  console.log(`sealed items: ${ITEMS} items of ${VALUE_BYTES} bytes; sealsync median of ${RUNS} runs, kubeseal median of ${KUBESEAL_RUNS} runs (per-item slope)`);
  console.log(`node ${process.version}, ${os.cpus().length} cpu(s): ${os.cpus()[0]?.model ?? "?"}`);
  const rows: Row[] = [];
  for (const bits of [2048, 4096]) rows.push(...(await benchBits(bits, dir)));
  fs.rmSync(dir, { recursive: true });

  const fmt = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(3)} ms` : "-");
  console.log("");
  console.log(["bits", "operation".padEnd(34), "sealsync/item", "kubeseal/item", "kubeseal÷sealsync"].join("  "));
  for (const r of rows) {
    const ratio = Number.isFinite(r.kubesealMs) ? `${(r.kubesealMs / r.sealsyncMs).toFixed(2)}×` : "-";
    console.log([String(r.bits).padEnd(4), r.op.padEnd(34), fmt(r.sealsyncMs).padStart(13), fmt(r.kubesealMs).padStart(13), ratio.padStart(17)].join("  "));
  }
}

await main();
