// Bundles each binary into dist/cli/<name>.js (what `npm run build`, the tests and the image run):
// one minified ESM file per binary plus shared chunks in dist/cli/chunks/, so starting a command reads
// a handful of files instead of hundreds of modules. Rarely used parts (client-node's exec auth,
// node-forge, age-encryption, …) stay behind dynamic import() and land in chunks of their own, loaded
// only when used. The result needs no node_modules at run time.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.join(import.meta.dirname, "..");

const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
// Stale chunks, and the maps tsc wrote for the two entry files it compiled before us, would mislead.
rmSync(path.join(root, "dist/cli/chunks"), { recursive: true, force: true });
for (const name of ["sealsync", "seal"]) rmSync(path.join(root, `dist/cli/${name}.js.map`), { force: true });

await build({
  absWorkingDir: root,
  entryPoints: { sealsync: "src/cli/sealsync.ts", seal: "src/cli/seal.ts" },
  outdir: "dist/cli",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import{createRequire as __sealsyncRequire}from'node:module';const require=__sealsyncRequire(import.meta.url);" },
  // The bundle does not sit two folders below package.json: bake the version in (see src/version.ts).
  define: { "globalThis.SEALSYNC_VERSION": JSON.stringify(pkg.version) },
});
