/**
 * The bad-input corpus, in one table (issue 11): every case is a revision written to a folder and run
 * through sealsync's real revision pipeline — the directory source, then parse → decrypt (the demo keys
 * of keys-example/) → validate, with kinds resolved by the real API server's discovery. Each must be
 * refused by its expected rule, reported against its file, never take a good file down with it, and
 * never quote a planted value.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keyring } from "../../src/crypto/keyring.js";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { buildDesiredSet } from "../../src/manifests/desired.js";
import { RevisionRejectedError } from "../../src/manifests/errors.js";
import { decryptorsFor } from "../../src/reconcile/decryptors.js";
import { DirSource } from "../../src/source/dir.js";
import { SourceError } from "../../src/source/revision.js";
import { testEnvState } from "../env/state.js";
import { corpusCases, KEYS_DIR, MAX_FILE_BYTES, NAMESPACE, type CorpusCase } from "./cases.js";

let cases: CorpusCase[];
let keyring: Keyring;
let client: KubeClient;
let discovery: Discovery;
const root = mkdtempSync(path.join(os.tmpdir(), "sealsync-corpus-"));

beforeAll(async () => {
  cases = await corpusCases();
  keyring = await Keyring.open({ dirs: [KEYS_DIR], watch: false, resyncIntervalMs: 0 });
  client = new KubeClient(loadKubeConfig(testEnvState().controlPlane.adminKubeconfig));
  discovery = new Discovery(client);
}, 120_000);
afterAll(async () => {
  await keyring.close();
  client.close();
  rmSync(root, { recursive: true, force: true });
});

function writeCase(c: CorpusCase, i: number): string {
  const dir = path.join(root, String(i));
  for (const [rel, content] of Object.entries(c.files)) {
    const full = path.join(dir, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    if (typeof content === "object" && "symlink" in content) symlinkSync(content.symlink, full);
    else writeFileSync(full, content);
  }
  return dir;
}

/** Runs a case; returns every message sealsync produced about it, and the rules it refused by. */
async function runCase(c: CorpusCase, i: number): Promise<{ rules: { rule: string; file: string }[]; messages: string[]; warnings: string[] }> {
  const source = new DirSource({ dir: writeCase(c, i), path: c.path, maxFileBytes: MAX_FILE_BYTES });
  let revision;
  try {
    revision = await source.fetch();
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    return { rules: [{ rule: "source", file: err.message }], messages: [err.message], warnings: [] };
  }
  try {
    await buildDesiredSet(revision, {
      namespace: NAMESPACE, discovery, decryptors: decryptorsFor(keyring, NAMESPACE),
      protect: { keySecrets: ["sealsync-keys"], parent: "sealsync", lease: "sealsync-leader" },
    });
  } catch (err) {
    if (!(err instanceof RevisionRejectedError)) throw err;
    return { rules: err.errors.map((e) => ({ rule: e.rule, file: e.ref.file })), messages: [err.message, ...err.errors.map((e) => e.message)], warnings: revision.warnings };
  }
  return { rules: revision.warnings.map((w) => ({ rule: "symlink-ignored", file: w })), messages: revision.warnings, warnings: revision.warnings };
}

describe("the bad-input corpus", () => {
  it("holds at least 200 distinct cases", () => {
    const digests = new Set(cases.map((c) => createHash("sha256").update(JSON.stringify([c.files, c.path ?? ""])).digest("hex")));
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(digests.size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it("refuses every case by its rule, against its file, leaving good files alone and quoting no planted value", async () => {
    const mismatches: string[] = [];
    for (const [i, c] of cases.entries()) {
      const out = await runCase(c, i);
      const file = c.file ?? Object.keys(c.files).find((f) => f.startsWith("bad.")) ?? "";
      const expected: string[] = Array.isArray(c.rule) ? c.rule : [c.rule];
      const hit = out.rules.some((r) => expected.includes(r.rule) && (r.rule === "source" || r.rule === "symlink-ignored" ? r.file.includes(file) : r.file === file));
      if (!hit) mismatches.push(`${c.name}: expected ${c.rule} on ${file}, got ${JSON.stringify(out.rules)}`);
      if (out.rules.some((r) => r.file === "good.yaml")) mismatches.push(`${c.name}: the good file was refused too: ${out.messages.join(" | ")}`);
      const text = out.messages.join("\n");
      for (const value of c.planted) if (text.includes(value)) mismatches.push(`${c.name}: message quotes planted ${value}`);
      if (/\n\s+at .*\(.*:\d+:\d+\)/.test(text)) mismatches.push(`${c.name}: a stack trace in the message`);
    }
    expect(mismatches).toEqual([]);
  }, 300_000);
});
