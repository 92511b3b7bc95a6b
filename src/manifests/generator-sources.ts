/**
 * `seal check` for kustomize: a file fed to a `secretGenerator` (`files:`, `envs:`, `env:`) becomes a
 * Secret's data, so it is plaintext unless it is SOPS-encrypted — whatever its extension (`.env`,
 * `tls.key`, `config.json`). sealsync decrypts such sources in memory before the build; a plain one would
 * be committed as is. Never quotes a value: findings name the kustomization, the generator and the file.
 */
import path from "node:path";
import { parse } from "yaml";
import type { Finding } from "../crypto/sops/index.js";

export const KUSTOMIZATION_NAMES = new Set(["kustomization.yaml", "kustomization.yml", "Kustomization"]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);

/** SOPS output in any of its formats: YAML/JSON metadata, dotenv `sops_*` keys, or ENC[…] values. */
export function looksSopsEncrypted(text: string): boolean {
  return /^sops\s*:|"sops"\s*:|^sops_mac=/m.test(text) && text.includes("ENC[AES256_GCM,");
}

/**
 * Findings for the secretGenerator sources of one kustomization file. `read` returns a source's text
 * (undefined when it does not exist: kustomize reports that itself).
 */
export function checkGeneratorSources(kustomizationFile: string, text: string, read: (file: string) => string | undefined): Finding[] {
  let k: unknown;
  try {
    k = parse(text);
  } catch {
    return []; // the file's own check reports a YAML error
  }
  if (!isObj(k)) return [];
  const findings: Finding[] = [];
  const dir = path.dirname(kustomizationFile);
  for (const gen of Array.isArray(k.secretGenerator) ? k.secretGenerator.filter(isObj) : []) {
    const name = typeof gen.name === "string" ? gen.name : "(unnamed)";
    // `files:` entries may be `key=path`; `env:` is the old single-file form of `envs:`.
    const sources = [
      ...strings(gen.files).map((f) => f.slice(f.indexOf("=") + 1)),
      ...strings(gen.envs),
      ...(typeof gen.env === "string" ? [gen.env] : []),
    ];
    for (const rel of sources) {
      const file = path.join(dir, rel);
      const content = read(file);
      if (content === undefined || looksSopsEncrypted(content)) continue;
      findings.push({
        file,
        message: `plaintext source of secretGenerator ${name} in ${kustomizationFile}; encrypt it with \`seal encrypt -i ${file}\` (sealsync decrypts it before the build)`,
      });
    }
  }
  return findings;
}
