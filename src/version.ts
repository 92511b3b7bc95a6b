/**
 * The package version: baked in by the bundler (scripts/bundle.mjs), else read from package.json, two
 * levels up from both src/ and a tsc build in dist/.
 */
import { readFileSync } from "node:fs";

declare global {
  var SEALSYNC_VERSION: string | undefined;
}

export const VERSION: string = globalThis.SEALSYNC_VERSION
  ?? (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
