/**
 * Differential test of the manifest reader against the real kubectl: every file of
 * test/fixtures/kubectl-yaml goes through `kubectl create --dry-run=client -o json` (what kubectl
 * would send) and through readManifests; both must give the same JSON, or both refuse. The few
 * deliberate differences are listed below with the reason (README, "Sync a repo into a namespace").
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readManifests } from "../../src/manifests/parse.js";
import { repoRoot, testAssets } from "../env/assets.js";
import { runAsync, type RunResult } from "../env/run.js";
import { testEnvState } from "../env/state.js";

const fixtures = path.join(repoRoot, "test/fixtures/kubectl-yaml");
const files = readdirSync(fixtures).sort();

/** Files kubectl accepts and sealsync refuses on purpose, with the refusal it must give. */
const DELIBERATE: Record<string, RegExp> = {
  // JavaScript numbers are exact only to 2^53; kubectl sends these exactly (or, beyond int64, rounded).
  "int-beyond-2-53.yaml": /integer beyond ±2\^53/,
  "int64-max.yaml": /integer beyond ±2\^53/,
  "uint64-max.yaml": /integer beyond ±2\^53/,
  "big-int.json": /integer beyond ±2\^53/,
  "beyond-uint64.yaml": /integer beyond ±2\^53 .*round it to a float/,
  // Two keys that become one JSON key: kubectl keeps one of them at random (Go map order).
  "boolean-key-vs-string.yaml": /two keys of one map both become "true"/,
  "int-key-vs-string.yaml": /two keys of one map both become "1"/,
  // kubectl replaces invalid bytes with U+FFFD: a silent change of what is written.
  "invalid-utf8.yaml": /not valid UTF-8/,
  // libyaml's line breaks U+2028/U+2029 (kept inside scalars): refused rather than guessed.
  "line-separator.yaml": /line or paragraph separator/,
  // A quoted string continued less indented than its key: libyaml accepts it, the YAML spec and
  // the yaml package do not.
  "quoted-unindented.yaml": /invalid YAML/,
};

interface Outcome {
  ok: boolean;
  /** Canonical JSON (sorted keys) of the objects, or the refusal. */
  text: string;
}

/** JSON with sorted keys, so that key order does not matter. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** kubectl -o json prints one JSON document per object, one after another. */
function jsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0, start = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" && depth++ === 0) start = i;
    else if (c === "}" && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

function kubectlOutcome(res: RunResult): Outcome {
  // A file with no objects (empty, only comments, an empty list) is not a refusal of the file.
  if (res.exitCode !== 0 && /no objects passed to create/.test(res.stderr)) return { ok: true, text: "[]" };
  if (res.exitCode !== 0) return { ok: false, text: res.stderr.trim() };
  return { ok: true, text: canonical(jsonStream(res.stdout)) };
}

function sealsyncOutcome(file: string): Outcome {
  const { documents, errors } = readManifests(readFileSync(path.join(fixtures, file)), file);
  if (errors.length > 0) return { ok: false, text: errors.map((e) => e.message).join("\n") };
  // Validation refuses what kubectl cannot map: a document without apiVersion or kind.
  const kindless = documents.find((d) => typeof d.body.apiVersion !== "string" || typeof d.body.kind !== "string");
  if (kindless) return { ok: false, text: "apiVersion and kind are required" };
  // kubectl fills in its context's namespace ("default"); sealsync its own, after validation (which
  // test/sync/kubectl-yaml.test.ts covers).
  const objects = documents.map((d) => JSON.parse(JSON.stringify(d.body)) as { metadata?: { namespace?: unknown } });
  for (const o of objects) o.metadata = { namespace: "default", ...o.metadata };
  return { ok: true, text: canonical(objects) };
}

const kubectl = new Map<string, Outcome>();

beforeAll(async () => {
  const cache = mkdtempSync(path.join(os.tmpdir(), "sealsync-kubectl-cache-"));
  const args = (file: string) => ["--kubeconfig", testEnvState().controlPlane.adminKubeconfig, "--cache-dir", cache,
    "create", "--dry-run=client", "--validate=false", "-o", "json", "-f", path.join(fixtures, file)];
  // The first call fills the discovery cache the others read.
  const [first, ...rest] = files as [string, ...string[]];
  kubectl.set(first, kubectlOutcome(await runAsync(testAssets().kubectl, args(first))));
  const queue = [...rest];
  await Promise.all([0, 1, 2, 3].map(async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      kubectl.set(file, kubectlOutcome(await runAsync(testAssets().kubectl, args(file))));
    }
  }));
}, 180_000);

describe("manifests are read as kubectl reads them", () => {
  it("has a corpus of at least 60 files", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
  });

  const same = files.filter((f) => !(f in DELIBERATE));
  it.each(same)("%s: same JSON as kubectl, or both refuse", (file) => {
    const theirs = kubectl.get(file) as Outcome;
    const ours = sealsyncOutcome(file);
    if (!theirs.ok) {
      expect({ refused: ours.ok ? ours.text : true, kubectl: theirs.text }).toEqual({ refused: true, kubectl: theirs.text });
    } else {
      expect(ours).toEqual(theirs);
    }
  });

  it.each(Object.entries(DELIBERATE))("%s: kubectl accepts, sealsync refuses on purpose and says why", (file, reason) => {
    expect(kubectl.get(file)?.ok).toBe(true);
    const ours = sealsyncOutcome(file);
    expect(ours.ok).toBe(false);
    expect(ours.text).toMatch(reason);
    // The refusal names the file and the document, never a value.
    expect(ours.text).toContain(`${file} (document `);
  });
});
