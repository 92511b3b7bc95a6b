/** Test keys made with the real age-keygen (and sealsync's RSA key pair), and files encrypted by the real sops. */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateSealingKeyPair } from "../../src/crypto/sealed/index.js";
import { testAssets } from "./assets.js";
import { run } from "./run.js";

export interface TestKeys {
  /** A key directory as the mounted key Secret would be: keys.txt (age), tls.key/tls.crt (RSA). */
  dir: string;
  ageRecipient: string;
  certFile: string;
}

export async function makeTestKeys(): Promise<TestKeys> {
  const assets = testAssets();
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-keys-"));
  run(assets.ageKeygen, ["-o", path.join(dir, "keys.txt")]);
  const ageRecipient = run(assets.ageKeygen, ["-y", path.join(dir, "keys.txt")]).stdout.trim();
  const pair = await generateSealingKeyPair({ bits: 2048 });
  writeFileSync(path.join(dir, "tls.key"), pair.keyPem, { mode: 0o600 });
  writeFileSync(path.join(dir, "tls.crt"), pair.certPem);
  return { dir, ageRecipient, certFile: path.join(dir, "tls.crt") };
}

/** Encrypts a Secret manifest with the real sops for the age recipient (data/stringData only, as Flux advises). */
export function sopsEncrypt(yaml: string, recipient: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-sops-"));
  const file = path.join(dir, "secret.yaml");
  writeFileSync(file, yaml);
  const res = run(testAssets().sops, ["encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$", file]);
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return res.stdout;
}

export const secretYaml = (name: string, values: Record<string, string>) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: Opaque\nstringData:\n${Object.entries(values).map(([k, v]) => `  ${k}: ${v}`).join("\n")}\n`;
