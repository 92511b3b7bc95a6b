/**
 * What `seal check` looks for in one file: a plaintext Secret (or stringData/data), a half-encrypted SOPS
 * file, a value left unencrypted, a garbled ENC value, and — when a key can open it — a MAC mismatch; a
 * SealedSecret whose sealed data cannot be read (or, with its RSA key, does not unseal). Never quotes a value.
 */
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { MAX_NESTING_DEPTH, bracketDepthOver } from "./limits.js";
import type { AgeIdentity } from "../crypto/age.js";
import { isSealedSecret, scopeFromAnnotations, SealedSecretError, unsealSealedSecret, type RsaKey } from "../crypto/sealed/index.js";
import { readSealedSecret } from "../crypto/sealed/sealed-secret.js";
import { findSopsConfig, loadSopsConfig, namedRecipients, SopsConfigError } from "../crypto/sops/config.js";
import {
  ageRecipients,
  decryptSopsFile,
  inspectEncryptedTrees,
  loadEncrypted,
  SopsError,
  SopsNoMatchingKeyError,
  SopsUnsupportedKeyError,
  type Finding,
  type SopsFormat,
} from "../crypto/sops/index.js";

/** The files checked in a folder, by extension (a file named explicitly is checked whatever its name). */
export const FORMATS: Record<string, SopsFormat> = { ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv" };

/** One file to check: its name for messages, and its bytes (from the working tree or the Git index). */
export interface Source {
  name: string;
  read: () => Buffer;
}

export interface Tally {
  files: number;
  /** SOPS files seen, and how many of those a held key opened with a valid MAC. */
  encrypted: number;
  verified: number;
  /** SealedSecrets seen, and how many of those a given RSA key unsealed. */
  sealed: number;
  unsealed: number;
  /** Warnings that do not fail the check (recipients no .sops.yaml rule names any more). */
  warnings: string[];
}

export interface CheckKeys {
  identities: AgeIdentity[] | undefined;
  rsa: RsaKey[];
  namespace: string | undefined;
}

type Doc = Record<string, unknown>;

/**
 * Parsed documents for the plaintext checks, `kind: List` items included (kubectl applies those too);
 * an error (position only, never content) when the file does not parse: a file seal cannot read is a
 * file it cannot vouch for.
 */
function plainDocs(bytes: Buffer, format: SopsFormat): { docs: Doc[] } | { error: string } | undefined {
  const text = bytes.toString("utf8");
  if (format !== "json" && format !== "yaml") return undefined;
  if (bracketDepthOver(text)) return { error: `nested deeper than ${MAX_NESTING_DEPTH} levels` };
  let docs: Doc[];
  if (format === "json") {
    try {
      docs = [JSON.parse(text) as Doc];
    } catch {
      return { error: "invalid JSON" };
    }
  } else {
    const parsed = parseAllDocuments(text, { prettyErrors: true });
    if (!Array.isArray(parsed)) return { docs: [] };
    const bad = parsed.find((d) => d.errors.length > 0);
    if (bad) {
      const e = bad.errors[0];
      const at = e?.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
      return { error: `invalid YAML${at} (${e?.code ?? "error"})` };
    }
    try {
      docs = parsed.map((d) => d.toJS({ maxAliasCount: 100 }) as Doc);
    } catch {
      return { error: "too many YAML aliases (an alias bomb?)" };
    }
  }
  return { docs: docs.flatMap((d) => (isMap(d) && d.kind === "List" && Array.isArray(d.items) && !("sops" in d) ? d.items as Doc[] : [d])) };
}

function isMap(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function secretName(d: Doc): string {
  const md = isMap(d.metadata) ? d.metadata : {};
  const name = typeof md.name === "string" ? md.name : "(unnamed)";
  return typeof md.namespace === "string" ? `${md.namespace}/${name}` : name;
}

/**
 * A SealedSecret: its sealed data must decode (standard base64, a whole RSA part and GCM tag) and it must
 * be one sealsync accepts (no template data); with RSA keys, it must unseal where it will be applied.
 */
function checkSealed(d: Doc, file: string, index: number | undefined, keys: CheckKeys, tally: Tally): Finding[] {
  tally.sealed++;
  const finding = (message: string): Finding[] => [{ file, index, message }];
  try {
    // Without a key the namespace only names the object in messages.
    readSealedSecret(d, undefined, { defaultNamespace: keys.namespace ?? "(no namespace)" });
    if (keys.rsa.length === 0) return [];
    const md = isMap(d.metadata) ? d.metadata : {};
    const scope = scopeFromAnnotations(isMap(md.annotations) ? md.annotations : undefined);
    if (!md.namespace && !keys.namespace && scope !== "cluster-wide") {
      return finding(`SealedSecret ${secretName(d)} has no metadata.namespace, which its ${scope} scope binds; pass -n NS (where sealsync applies it) to check that it unseals`);
    }
    unsealSealedSecret(d, keys.rsa, undefined, { defaultNamespace: keys.namespace });
    tally.unsealed++;
    return [];
  } catch (err) {
    if (err instanceof SealedSecretError) return finding(err.message);
    throw err;
  }
}

const namedByConfig = new Map<string, Set<string> | undefined>();

/** Recipients of a file that the nearest .sops.yaml no longer names (left behind by a rotation). */
function staleRecipients(recipients: string[], file: string, cwd: string): string[] {
  const config = findSopsConfig(path.dirname(path.resolve(cwd, file)));
  if (!config) return [];
  if (!namedByConfig.has(config)) {
    try {
      namedByConfig.set(config, namedRecipients(loadSopsConfig(config)));
    } catch (err) {
      // A broken .sops.yaml is encrypt's business to report; here it only means no warning.
      if (!(err instanceof SopsConfigError)) throw err;
      namedByConfig.set(config, undefined);
    }
  }
  const named = namedByConfig.get(config);
  return named === undefined || named.size === 0 ? [] : recipients.filter((r) => !named.has(r));
}

/** The findings in one file (`cwd`: what its name is relative to); counts what it saw in `tally`. */
export async function checkOne(src: Source, keys: CheckKeys, tally: Tally, cwd: string): Promise<Finding[]> {
  const identities = keys.identities;
  const format = FORMATS[path.extname(src.name).toLowerCase()] ?? "binary";
  const bytes = src.read();
  tally.files++;
  const findings: Finding[] = [];
  const text = bytes.toString("utf8");
  const looksSops = format === "dotenv" ? /^sops_/m.test(text) : format === "binary" ? /"sops"\s*:/.test(text) : /^sops\s*:|"sops"\s*:/m.test(text);
  if (!looksSops) {
    const parsed = plainDocs(bytes, format);
    if (parsed && "error" in parsed) {
      return [{ file: src.name, message: `${parsed.error}: cannot check it for plaintext secrets; fix the file` }];
    }
    const docs = parsed?.docs;
    docs?.forEach((d, i) => {
      if (!isMap(d)) return;
      const index = docs.length > 1 ? i : undefined;
      if (isSealedSecret(d)) findings.push(...checkSealed(d, src.name, index, keys, tally));
      else if (d.kind === "Secret") findings.push({ file: src.name, index, message: `plaintext Secret ${secretName(d)}; encrypt it with \`seal encrypt -i ${src.name}\`` });
      else if (d.kind === undefined && (isMap(d.stringData) || isMap(d.data))) {
        findings.push({ file: src.name, index, message: "plaintext stringData/data (looks like a Secret); encrypt it before committing" });
      }
    });
    return findings;
  }
  // A SOPS file: every document must carry metadata, every selected value must be encrypted.
  tally.encrypted++;
  const parsedSops = plainDocs(bytes, format);
  const docs = parsedSops && "docs" in parsedSops ? parsedSops.docs : undefined;
  docs?.forEach((d, i) => {
    if (isMap(d) && !("sops" in d)) findings.push({ file: src.name, index: i, message: "document without sops metadata in an encrypted file (half-encrypted); encrypt the whole file" });
  });
  let enc;
  try {
    enc = loadEncrypted(bytes, format, { file: src.name });
  } catch (err) {
    if (err instanceof SopsError) return [...findings, { file: src.name, message: err.message.slice(src.name.length + 2) }];
    throw err;
  }
  findings.push(...inspectEncryptedTrees(enc.docs, enc.metadata, { file: src.name }));
  const stale = staleRecipients(ageRecipients(enc.metadata), src.name, cwd);
  if (stale.length > 0) {
    tally.warnings.push(`${src.name}: encrypted for ${stale.join(", ")}, which no .sops.yaml rule names any more; run \`seal updatekeys --all\``);
  }
  if (findings.length > 0) return findings;
  if (!identities) return findings;
  try {
    await decryptSopsFile(bytes, { format, file: src.name, identities });
    tally.verified++;
  } catch (err) {
    if (err instanceof SopsNoMatchingKeyError || err instanceof SopsUnsupportedKeyError) return findings;
    if (err instanceof SopsError) findings.push({ file: src.name, message: err.message.slice(src.name.length + 2) });
    else throw err;
  }
  return findings;
}

