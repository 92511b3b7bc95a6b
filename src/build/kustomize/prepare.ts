/**
 * The build room's input: every file the kustomizations reach, with each secret value replaced by its
 * placeholder. SOPS files are verified (MAC over the file as written in Git) and decrypted in memory,
 * SealedSecrets unsealed in memory; what kustomize is given holds placeholders and plain files only.
 */
import { stringify } from "yaml";
import { formatForPath, isEncryptedFile, looksEncrypted, type SopsFormat } from "../../crypto/sops/index.js";
import type { DocumentDecryptor } from "../../manifests/decrypt.js";
import { ManifestError } from "../../manifests/errors.js";
import { parseFiles } from "../../manifests/parse.js";
import type { FileUse, KustomizeTree } from "../../source/kustomize-reach.js";
import type { Origin, Placeholders } from "./placeholders.js";

export interface PreparedTree {
  files: Map<string, Uint8Array>;
  errors: ManifestError[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Replaces, in the decrypted object, every leaf that was encrypted in Git by its placeholder. */
function placeholderLeaves(encrypted: unknown, plain: unknown, at: string, origin: Origin, ph: Placeholders): unknown {
  if (typeof encrypted === "string" && looksEncrypted(encrypted)) return ph.make(origin, at, plain);
  if (Array.isArray(encrypted) && Array.isArray(plain)) return plain.map((v, i) => placeholderLeaves(encrypted[i], v, `${at}[${i}]`, origin, ph));
  if (isObject(encrypted) && isObject(plain)) {
    return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, placeholderLeaves(encrypted[k], v, at ? `${at}.${k}` : k, origin, ph)]));
  }
  return plain;
}

/** KEY=value lines as kustomize reads an env file: each value becomes a placeholder. */
function placeholderEnv(text: string, origin: Origin, ph: Placeholders): string {
  return text.split(/\r?\n/).map((line) => {
    const eq = line.indexOf("=");
    if (line.trimStart().startsWith("#") || eq < 0) return line;
    const key = line.slice(0, eq);
    return `${key}=${ph.make(origin, key.trim(), Buffer.from(line.slice(eq + 1), "utf8"))}`;
  }).join("\n");
}

function sopsFormatOf(file: string, use: FileUse): SopsFormat {
  if (use.as === "generator-env") return "dotenv";
  try {
    return formatForPath(file);
  } catch {
    return "binary";
  }
}

export async function prepareTree(tree: KustomizeTree, decryptors: DocumentDecryptor[], ph: Placeholders): Promise<PreparedTree> {
  const files = new Map<string, Uint8Array>();
  const errors: ManifestError[] = [];
  const sops = decryptors.find((d) => d.format === "sops");
  for (const [file, bytes] of tree.files) {
    const use = tree.uses.get(file)?.[0] ?? { as: "config" };
    try {
      if (use.as === "generator-env" || use.as === "generator-file") {
        const format = sopsFormatOf(file, use);
        if (!isEncryptedFile(bytes, format, file)) {
          files.set(file, bytes);
          continue;
        }
        if (!sops?.decryptBytes) throw new Error("SOPS-encrypted, but no SOPS keys are configured");
        const { plaintext, keyId } = await sops.decryptBytes(bytes, format, file);
        const origin: Origin = { kind: use.generatorKind, file, format: "sops", keyId };
        const text = use.as === "generator-env"
          ? placeholderEnv(Buffer.from(plaintext).toString("utf8"), origin, ph)
          : ph.make(origin, "", plaintext);
        files.set(file, Buffer.from(text, "utf8"));
      } else if (use.as === "resource" || use.as === "patch") {
        files.set(file, await prepareManifests(file, bytes, decryptors, ph, errors));
      } else {
        files.set(file, bytes);
      }
    } catch (err) {
      errors.push(new ManifestError({ file, index: 0 }, "decrypt", (err as Error).message, "sops"));
    }
  }
  return { files, errors };
}

/** A file of manifests: untouched unless it holds encrypted documents; then every document is re-written. */
async function prepareManifests(file: string, bytes: Uint8Array, decryptors: DocumentDecryptor[], ph: Placeholders, errors: ManifestError[]): Promise<Uint8Array> {
  const parsed = parseFiles(new Map([[file, bytes]]));
  if (parsed.errors.length > 0 || !parsed.documents.some((d) => decryptors.some((x) => x.matches(d.body)))) return bytes;
  const bodies: Record<string, unknown>[] = parsed.documents.map((d) => d.body);
  for (const decryptor of decryptors) {
    const group = parsed.documents.map((d, i) => ({ d, i })).filter(({ d }) => decryptor.matches(d.body));
    if (group.length === 0) continue;
    try {
      const out = await decryptor.decryptFile(group.map(({ d }) => ({ body: d.body, ref: d.ref })), { path: file, bytes });
      group.forEach(({ d, i }, n) => {
        const result = out[n];
        if (!result) return;
        const object = result.object;
        const kind = String(object.kind ?? "");
        const origin: Origin = { kind, file, format: decryptor.format, keyId: result.keyId };
        if (decryptor.format === "sealed") {
          // The unsealed Secret takes the SealedSecret's place: every value of it is secret.
          const data = isObject(object.data) ? object.data : {};
          bodies[i] = { ...object, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, ph.make(origin, `data.${k}`, v)])) };
        } else {
          bodies[i] = placeholderLeaves(d.body, object, "", origin, ph) as Record<string, unknown>;
        }
      });
    } catch (err) {
      for (const { d } of group) errors.push(new ManifestError(d.ref, "decrypt", (err as Error).message, decryptor.format));
    }
  }
  return Buffer.from(bodies.map((b) => stringify(b, { lineWidth: 0, version: "1.1" })).join("---\n"), "utf8");
}
