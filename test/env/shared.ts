/** The shared folder beside the repository (specs and interoperability vectors); CI lays a copy there too. */
import path from "node:path";
import { repoRoot } from "./assets.js";

export const sharedDir = path.resolve(repoRoot, "../shared");
export const sealedVectorsDir = path.join(sharedDir, "sealed-secrets-vectors");
