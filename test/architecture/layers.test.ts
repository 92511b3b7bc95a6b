/**
 * The layering the README states (its Architecture section), checked on every import of src/: no room
 * imports a room above it, and rooms on one step never import each other in a cycle.
 */
import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../env/assets.js";

const src = path.join(repoRoot, "src");

/** `cli → daemon/server → …` from the README: room → step (0 = top). */
function statedLayers(): Map<string, number> {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => /^cli → .* → config\/util$/.test(l.trim()));
  if (!line) throw new Error("README.md states no layering line (cli → … → config/util)");
  const steps = new Map<string, number>();
  line.trim().split(" → ").forEach((step, i) => step.split("/").forEach((room) => steps.set(room, i)));
  return steps;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}

/** The room of a file under src/: its first folder; top-level modules count as util. */
function roomOf(file: string): string {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length === 1 ? "util" : rel[0]!;
}

interface Edge { from: string; to: string; file: string; spec: string }

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, "utf8");
    // Static imports, re-exports and dynamic import()s of relative specifiers.
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm)) {
      const spec = m[1]!;
      const target = path.resolve(path.dirname(file), spec);
      edges.push({ from: roomOf(file), to: roomOf(target), file: path.relative(repoRoot, file), spec });
    }
  }
  return edges;
}

describe("layering of src/", () => {
  const layers = statedLayers();
  const edges = importEdges();

  it("reads the README's line and finds imports to check", () => {
    expect([...layers.keys()]).toEqual(["cli", "daemon", "server", "reconcile", "build", "manifests", "source", "audit", "kube", "crypto", "config", "util"]);
    expect(edges.length).toBeGreaterThan(100);
  });

  it("has every room of src/ in the stated layering", () => {
    const rooms = new Set(edges.flatMap((e) => [e.from, e.to]));
    expect([...rooms].filter((r) => !layers.has(r))).toEqual([]);
  });

  it("has no import from a room to a room above it", () => {
    const upward = edges.filter((e) => e.from !== e.to && layers.get(e.to)! < layers.get(e.from)!);
    expect(upward.map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to})`)).toEqual([]);
  });

  it("has no cycle between rooms", () => {
    const next = new Map<string, Set<string>>();
    for (const e of edges) if (e.from !== e.to) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
    const reaches = (a: string, b: string, seen = new Set<string>()): boolean =>
      [...(next.get(a) ?? [])].some((n) => n === b || (!seen.has(n) && (seen.add(n), reaches(n, b, seen))));
    const cycles = edges.filter((e) => e.from !== e.to && reaches(e.to, e.from));
    expect(cycles.map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to}, which imports back)`)).toEqual([]);
  });
});
