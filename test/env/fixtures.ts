/** Test fixtures copied into the repository (test/fixtures/README.md names each origin and licence). */
import path from "node:path";
import { repoRoot } from "./assets.js";

export const fixturesDir = path.join(repoRoot, "test/fixtures");
export const sopsVectorsDir = path.join(fixturesDir, "sops-vectors");
export const sealedVectorsDir = path.join(fixturesDir, "sealed-secrets-vectors");
