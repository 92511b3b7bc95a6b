/** Shared test helpers: a fresh age key pair from the real age-keygen, temp dirs, the real sops. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAgeIdentities, type AgeIdentity } from "../../../src/crypto/age.js";
import { repoRoot, testAssets } from "../../env/assets.js";
import { run, type RunResult } from "../../env/run.js";

export const fixtures = path.join(repoRoot, "test/crypto/sops/fixtures");
export { sopsVectorsDir as vectorsDir } from "../../env/fixtures.js";

export function tempDir(prefix = "seal-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface KeyPair {
  keyFile: string;
  recipient: string;
  identities: AgeIdentity[];
}

/** A key made by the real age-keygen, so our key-file parser is tested on its output. */
export function ageKeygen(dir: string, name = "key.txt"): KeyPair {
  const keyFile = path.join(dir, name);
  const res = run(testAssets().ageKeygen, ["-o", keyFile]);
  if (res.exitCode !== 0) throw new Error(`age-keygen failed: ${res.stderr}`);
  const text = readFileSync(keyFile, "utf8");
  const recipient = /# public key: (age1\S+)/.exec(text)![1]!;
  return { keyFile, recipient, identities: parseAgeIdentities(text, keyFile) };
}

/** Runs the real sops with only the given key file (no default key file lookup surprises). */
export function sops(args: string[], opts: { keyFile?: string; cwd?: string; input?: string | Buffer } = {}): RunResult {
  return run(testAssets().sops, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: { SOPS_AGE_KEY_FILE: opts.keyFile, SOPS_AGE_KEY_CMD: undefined, SOPS_AGE_KEY: undefined, XDG_CONFIG_HOME: path.join(os.tmpdir(), "seal-no-config"), HOME: path.join(os.tmpdir(), "seal-no-home") },
  });
}

/** Like run() but with binary stdout (sops -d of a binary file). */
export { run };

export function write(dir: string, name: string, content: string | Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}
