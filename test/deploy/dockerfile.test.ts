/**
 * deploy/Dockerfile cannot be built here (no container engine), so this checks what can be: its shape
 * (multi-stage, production dependencies only, numeric non-root user, sealsync as entrypoint), that every
 * file it copies from the context exists and is let through Dockerfile.dockerignore, and — the part that
 * would break a real build — both stages replayed in clean folders holding only what they copy: the
 * build compiles and bundles, and the runtime stage, which holds the bundle alone (no node_modules),
 * runs both binaries, lazily loaded chunks included.
 */
import { expect, test } from "@jest/globals";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../env/assets.js";
import { runAsync } from "../env/run.js";
import { DEPLOY_DIR } from "./helpers.js";

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile, continuation lines joined, comments and the parser directive dropped. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, " ");
  return joined.split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      if (!m) throw new Error(`Dockerfile line without arguments: ${l}`);
      return { keyword: m[1]!.toUpperCase(), args: m[2]! };
    });
}

/** Stages: the instructions after each FROM. */
function stages(instructions: Instruction[]): { from: string; body: Instruction[] }[] {
  const out: { from: string; body: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") out.push({ from: ins.args, body: [] });
    else out.at(-1)?.body.push(ins);
  }
  return out;
}

test("deploy/Dockerfile: three stages, copies only existing files, and replayed in clean folders it builds, and its runtime stage runs sealsync and seal from the bundle alone", async () => {
  const all = parseDockerfile(readFileSync(path.join(DEPLOY_DIR, "Dockerfile"), "utf8"));
  const [tools, build, runtime, ...more] = stages(all);
  expect(more).toEqual([]);
  // kustomize is built from the module provision.sh builds the tests' kustomize from (not replayed here: a Go build).
  expect(tools?.from).toMatch(/ AS kustomize$/);
  expect(tools?.body.filter((i) => i.keyword === "COPY").map((i) => i.args))
    .toEqual(["test/env/go/kustomize/go.mod test/env/go/kustomize/go.sum ./"]);
  const version = /sigs\.k8s\.io\/kustomize\/kustomize\/v5 (v\S+)/.exec(readFileSync(path.join(repoRoot, "test/env/go/kustomize/go.mod"), "utf8"))?.[1];
  expect(tools?.body.find((i) => i.keyword === "RUN")?.args).toContain(`provenance.version=${version}\" -o /out/kustomize sigs.k8s.io/kustomize/kustomize/v5`);
  expect(build?.from).toMatch(/ AS build$/);
  expect(runtime).toBeDefined();
  const ins = (stage: typeof runtime, keyword: string) => stage!.body.filter((i) => i.keyword === keyword).map((i) => i.args);

  // The build stage compiles and bundles with dev dependencies; the runtime stage copies the bundle only.
  expect(ins(build, "RUN")).toContain("npm run build");
  expect(ins(runtime, "RUN")).toEqual([]);
  expect(ins(runtime, "COPY")).toEqual(["--from=build /src/dist/cli ./dist/cli", "--from=kustomize /out/kustomize /usr/local/bin/kustomize"]);
  expect(ins(runtime, "WORKDIR")).toEqual(["/app"]);
  expect(ins(runtime, "USER")).toHaveLength(1);
  const [uid] = ins(runtime, "USER")[0]!.split(":");
  expect(Number(uid)).toBeGreaterThan(0); // numeric, not root: the kubelet can check runAsNonRoot
  expect(JSON.parse(ins(runtime, "ENTRYPOINT")[0]!)).toEqual(["node", "/app/dist/cli/sealsync.js"]);

  // Every context file a COPY names exists, and the dockerignore allow-list lets it through.
  const allowed = readFileSync(path.join(DEPLOY_DIR, "Dockerfile.dockerignore"), "utf8").split("\n")
    .map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  expect(allowed[0]).toBe("*");
  for (const stage of [tools, build, runtime]) {
    for (const copy of ins(stage, "COPY").filter((c) => !c.startsWith("--from="))) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect([src, existsSync(path.join(repoRoot, src))]).toEqual([src, true]);
        expect([src, allowed.includes(`!${src}`)]).toEqual([src, true]);
      }
    }
  }

  // Both stages, replayed in temp folders with exactly what they copy: WORKDIR becomes a folder, COPY
  // copies from the repository (or from the build stage's folder), RUN runs — except `npm cache clean`,
  // which would empty the npm cache shared with this machine; npm ci gets --prefer-offline (same lock
  // file, so the packages are almost always cached already).
  const tmp = mkdtempSync(path.join(os.tmpdir(), "sealsync-image-"));
  try {
    const dirs = new Map<string, { workdir: string; dir: string }>();
    for (const [name, stage] of [["build", build!], ["runtime", runtime!]] as const) {
      const workdir = ins(stage, "WORKDIR")[0]!;
      const dir = path.join(tmp, name);
      dirs.set(name, { workdir, dir });
      mkdirSync(dir);
      for (const i of stage.body) {
        if (i.keyword === "COPY") {
          if (i.args.startsWith("--from=kustomize ")) continue; // the Go stage is not replayed
          const words = i.args.split(/\s+/);
          const from = words[0]!.startsWith("--from=") ? dirs.get(words.shift()!.slice("--from=".length))! : undefined;
          const destArg = words.pop()!;
          const dest = path.resolve(dir, destArg);
          for (const src of words) {
            const origin = from ? path.join(from.dir, path.relative(from.workdir, src)) : path.join(repoRoot, src);
            // Several sources, or a destination ending in "/", mean "into this folder", as in Docker.
            cpSync(origin, words.length > 1 || destArg.endsWith("/") ? path.join(dest, path.basename(src)) : dest, { recursive: true });
          }
        } else if (i.keyword === "RUN") {
          for (const command of i.args.split("&&").map((c) => c.trim()).filter((c) => !c.startsWith("npm cache clean"))) {
            const [cmd, ...args] = command.split(/\s+/);
            if (cmd === "npm" && args[0] === "ci") args.push("--prefer-offline");
            const res = await runAsync(cmd!, args, { cwd: dir, timeoutMs: 480_000 });
            expect({ stage: name, command, exitCode: res.exitCode, stderr: res.exitCode === 0 ? "" : res.stderr })
              .toEqual({ stage: name, command, exitCode: 0, stderr: "" });
          }
        }
      }
    }
    const app = dirs.get("runtime")!.dir;
    expect(readdirSync(app)).toEqual(["dist"]);
    expect(readdirSync(path.join(app, "dist"))).toEqual(["cli"]);

    const version = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version as string;
    for (const bin of ["sealsync", "seal"]) {
      expect(await runAsync("node", [`dist/cli/${bin}.js`, "--version"], { cwd: app }))
        .toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: "" });
    }
    // A lazily loaded chunk (age-encryption, behind a dynamic import) loads from the bundle alone.
    const keyFile = path.join(tmp, "dev.agekey");
    const keygen = await runAsync("node", ["dist/cli/seal.js", "keygen", "-o", keyFile], { cwd: app });
    expect(keygen.exitCode).toBe(0);
    expect(keygen.stdout.trim()).toMatch(/^age1[0-9a-z]+$/);
    expect(readFileSync(keyFile, "utf8")).toContain(`# public key: ${keygen.stdout.trim()}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 600_000);
