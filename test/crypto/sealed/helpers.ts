/** Shared fixtures for the Sealed Secrets tests: key pairs, a temp dir, and the real kubeseal binary. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { testAssets } from "../../env/assets.js";
import { generateSealingKeyPair, loadRsaKey, type RsaKey, type SealingKeyPair } from "../../../src/crypto/sealed/index.js";

export interface TestKeyPair extends SealingKeyPair {
  key: RsaKey;
  keyFile: string;
  certFile: string;
}

export function tempDir(prefix = "sealed-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sealsync-${prefix}`));
}

/** A key pair made by our own generator (so every kubeseal run also checks the certificate format), on disk too. */
export async function makeKeyPair(dir: string, name: string, bits = 2048, opts: { validityDays?: number; notBefore?: Date } = {}): Promise<TestKeyPair> {
  const pair = await generateSealingKeyPair({ bits, ...opts });
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  fs.writeFileSync(keyFile, pair.keyPem, { mode: 0o600 });
  fs.writeFileSync(certFile, pair.certPem);
  return { ...pair, key: loadRsaKey(pair.keyPem, keyFile, pair.certPem), keyFile, certFile };
}

export interface KubesealResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real kubeseal with a kubeconfig that points nowhere (127.0.0.1:1), so nothing can depend on a
 * cluster: every run passes --cert or --recovery-*, and --namespace where one is needed.
 */
export function kubeseal(args: string[], input?: string | Buffer): KubesealResult {
  const dir = dummyDir();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SEALED_SECRETS_")) env[k] = v;
  env.KUBECONFIG = path.join(dir, "kubeconfig");
  const res = spawnSync(testAssets().kubeseal, args, { input, env, encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
  if (res.error) throw res.error;
  return { exitCode: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** kubeseal, failing the test with its stderr when it exits non-zero. */
export function kubesealOk(args: string[], input?: string | Buffer): string {
  const r = kubeseal(args, input);
  if (r.exitCode !== 0) throw new Error(`kubeseal ${args.join(" ")} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Seals a Secret object with `kubeseal --cert`, returning the SealedSecret object. */
export function kubesealSeal(secret: object, certFile: string, extra: string[] = []): Record<string, unknown> {
  return JSON.parse(kubesealOk(["--cert", certFile, "-o", "json", ...extra], JSON.stringify(secret))) as Record<string, unknown>;
}

/** Unseals a SealedSecret object with `kubeseal --recovery-unseal`, returning the Secret object. */
export function kubesealUnseal(sealed: object, keyFiles: string[]): { data?: Record<string, string>; metadata: Record<string, unknown>; type?: string } {
  const out = kubesealOk(["--recovery-unseal", "--recovery-private-key", keyFiles.join(","), "-o", "yaml"], JSON.stringify(sealed));
  return parse(out) as { data?: Record<string, string>; metadata: Record<string, unknown>; type?: string };
}

let dummy: string | undefined;
function dummyDir(): string {
  if (dummy) return dummy;
  dummy = tempDir("kubeseal-");
  fs.writeFileSync(path.join(dummy, "kubeconfig"), [
    "apiVersion: v1", "kind: Config", "current-context: nowhere",
    "clusters: [{name: nowhere, cluster: {server: 'https://127.0.0.1:1'}}]",
    "users: [{name: nobody, user: {token: none}}]",
    "contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody, namespace: not-used}}]", "",
  ].join("\n"));
  return dummy;
}

export function secret(name: string, namespace: string | undefined, data: Record<string, Buffer | string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) encoded[k] = Buffer.from(v).toString("base64");
  return { apiVersion: "v1", kind: "Secret", metadata: { name, ...(namespace ? { namespace } : {}) }, data: encoded, ...extra };
}

/** The decoded values of a Secret's data. */
export function values(obj: { data?: Record<string, string | null> }): Record<string, Buffer> {
  // kubeseal prints an empty value as null.
  return Object.fromEntries(Object.entries(obj.data ?? {}).map(([k, v]) => [k, Buffer.from(v ?? "", "base64")]));
}
