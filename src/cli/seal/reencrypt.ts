/**
 * `seal reencrypt --cert NEW --key OLD FILE`: key rotation for SealedSecrets, done locally. Every item is
 * opened with the old keys and sealed again to the new certificate under the same scope; only the values
 * under spec.encryptedData change in the file, every other byte (metadata, template, comments) stays.
 * Nothing is printed in plaintext.
 */
import { isDeepStrictEqual } from "node:util";
import type { Command } from "commander";
import { isMap, isScalar, parseAllDocuments, Scalar } from "yaml";
import path from "node:path";
import { isSealedSecret, reencryptSealedSecret, SealedSecretError, type RsaKey, type SealedSecretObject, type SealingCertificate } from "../../crypto/sealed/index.js";
import { repoFiles } from "../../source/local-git.js";
import type { SopsFormat } from "../../crypto/sops/index.js";
import { collect, processIo, readInput, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { loadSealingCert } from "../../server/sealing-cert.js";
import { loadRsaKeys } from "../../crypto/keyring/key-files.js";
import { docWhere, objectName, readManifests, renderManifests, type ManifestDoc, type Manifests } from "../../manifests/round-trip.js";
import { addInputType } from "./options.js";

export interface ReencryptOptions {
  cert?: string;
  key: string[];
  inPlace?: boolean;
  output?: string;
  namespace?: string;
  inputType?: SopsFormat;
  filename?: string;
  all?: boolean;
  dryRun?: boolean;
}

interface Resealed {
  doc: ManifestDoc;
  encryptedData: Record<string, string>;
}

export async function reencryptCommand(file: string | undefined, opts: ReencryptOptions, io: Io): Promise<number> {
  if (opts.all) return reencryptAll(file ?? ".", opts, io);
  if (file === undefined) throw new UsageError("give a file, or --all [DIR] for every SealedSecret of a repository");
  if (opts.dryRun) throw new UsageError("--dry-run goes with --all");
  if (opts.inPlace && file === "-") throw new UsageError("-i cannot be used with stdin; use -o FILE or redirect stdout");
  if (opts.inPlace && opts.output) throw new UsageError("use either -i or -o, not both");
  const subject = file === "-" ? (opts.filename ?? "stdin") : file;
  const manifests = readManifests(readInput(file, io), subject, opts.inputType);
  if (!manifests.docs.some((d) => isSealedSecret(d.value))) throw new UsageError(`${subject}: no SealedSecret to re-encrypt`);
  const keys = oldKeys(opts, io);
  const cert = await loadSealingCert(opts.cert, io);
  const text = reencryptManifests(manifests, subject, keys, cert, opts, io) ?? manifests.text;
  if (opts.inPlace || opts.output) {
    const target = opts.inPlace ? file : opts.output!;
    if (opts.inPlace && text === manifests.text) return 0;
    writeFileAtomic(target, text, io);
    if (text !== manifests.text) say(io, `wrote ${target}`);
  } else {
    await writeStdout(io, text);
  }
  return 0;
}

function oldKeys(opts: ReencryptOptions, io: Io): RsaKey[] {
  const keys = loadRsaKeys(opts.key, io);
  if (keys.length === 0) {
    throw new UsageError("give the old private key(s) with --key tls.key (repeatable; a backup of the controller's key Secrets works too)");
  }
  return keys;
}

/** The file's text with every SealedSecret re-sealed to `cert`; undefined when none needed it. */
function reencryptManifests(manifests: Manifests, subject: string, keys: RsaKey[], cert: SealingCertificate, opts: ReencryptOptions, io: Io): string | undefined {
  const resealed: Resealed[] = [];
  for (const doc of manifests.docs.filter((d) => isSealedSecret(d.value))) {
    const where = docWhere(subject, doc, manifests.docs.length);
    const res = reencryptSealedSecret(doc.value, keys, cert, where, { defaultNamespace: opts.namespace });
    const name = objectName(doc.value as Record<string, unknown>);
    const items = Object.keys(res.sealedSecret.spec.encryptedData).length;
    // Already sealed to the new key only: leave it as it is, so Git shows no change.
    if (res.fromKeyIds.length > 0 && res.fromKeyIds.every((id) => id === res.toKeyId)) {
      if (!opts.all) say(io, `${name}: already sealed to key ${res.toKeyId}; left as it is`);
      continue;
    }
    if (items === 0) continue;
    resealed.push({ doc, encryptedData: res.sealedSecret.spec.encryptedData });
    const prefix = opts.all ? `${subject}: ` : "";
    say(io, `${prefix}${name}: ${opts.dryRun ? "would re-seal" : "re-sealed"} ${items} item${items === 1 ? "" : "s"} from key ${res.fromKeyIds.join(", ")} to key ${res.toKeyId}`);
  }
  if (resealed.length === 0) return undefined;
  return spliceEncryptedData(manifests, resealed) ?? rerender(manifests, resealed);
}

/**
 * `--all DIR`: every YAML/JSON file Git sees under DIR; files whose SealedSecrets the old keys cannot open
 * are named at the end (exit 1), the others re-sealed.
 */
async function reencryptAll(dir: string, opts: ReencryptOptions, io: Io): Promise<number> {
  if (opts.inPlace || opts.output) throw new UsageError("--all rewrites files in place; -i and -o do not apply");
  const keys = oldKeys(opts, io);
  const cert = await loadSealingCert(opts.cert, io);
  const root = path.resolve(io.cwd, dir);
  const failed: string[] = [];
  let files = 0;
  let changed = 0;
  for (const rel of repoFiles(root)) {
    if (![".yaml", ".yml", ".json"].includes(path.extname(rel).toLowerCase())) continue;
    const abs = path.join(root, rel);
    const shown = path.relative(io.cwd, abs) || rel;
    const bytes = readInput(abs, io);
    if (!/SealedSecret/.test(bytes.toString("utf8"))) continue;
    try {
      const manifests = readManifests(bytes, shown);
      if (!manifests.docs.some((d) => isSealedSecret(d.value))) continue;
      files++;
      const text = reencryptManifests(manifests, shown, keys, cert, opts, io);
      if (text === undefined) continue;
      changed++;
      if (!opts.dryRun) writeFileAtomic(abs, text, io);
    } catch (err) {
      if (err instanceof SealedSecretError || err instanceof UsageError) failed.push(err.message.startsWith(shown) ? err.message : `${shown}: ${err.message}`);
      else throw err;
    }
  }
  say(io, `seal reencrypt: ${files} file${files === 1 ? "" : "s"} with SealedSecrets, ${changed} ${opts.dryRun ? "would be re-sealed" : "re-sealed"}, ${files - changed - failed.length} already sealed to key ${cert.keyId}`);
  if (failed.length > 0) {
    say(io, `could not open ${failed.length} file${failed.length === 1 ? "" : "s"} with the given keys:`);
    for (const f of failed) say(io, `  ${f}`);
    return 1;
  }
  return 0;
}

/**
 * Replaces each item's value in the source text, keeping every other byte. Gives up (undefined) on a value
 * written as a block scalar, or if the result does not read back as exactly the expected documents.
 */
function spliceEncryptedData(manifests: Manifests, resealed: Resealed[]): string | undefined {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const { doc, encryptedData } of resealed) {
    const map = doc.source.getIn(["spec", "encryptedData"], true);
    if (!isMap(map)) return undefined;
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const value = pair.value;
      if (key === undefined || !isScalar(value) || !value.range || !(key in encryptedData)) return undefined;
      const sealed = encryptedData[key]!;
      const quoted = value.type === Scalar.QUOTE_DOUBLE ? `"${sealed}"` : value.type === Scalar.QUOTE_SINGLE ? `'${sealed}'` : value.type === Scalar.PLAIN ? sealed : undefined;
      if (quoted === undefined) return undefined;
      edits.push({ start: value.range[0], end: value.range[1], text: quoted });
    }
  }
  let text = manifests.text;
  for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  // Read it back: the edited documents must be exactly the re-sealed objects, the others unchanged.
  const expected = manifests.docs.map((d) => withEncryptedData(d, resealed));
  const actual = parseAllDocuments(text);
  if (!Array.isArray(actual) || actual.length !== expected.length) return undefined;
  return actual.every((d, i) => d.errors.length === 0 && isDeepStrictEqual(d.toJS({ maxAliasCount: 100 }), expected[i])) ? text : undefined;
}

function withEncryptedData(doc: ManifestDoc, resealed: Resealed[]): unknown {
  const r = resealed.find((x) => x.doc === doc);
  if (!r) return doc.value;
  const out = structuredClone(doc.value) as SealedSecretObject;
  out.spec.encryptedData = r.encryptedData;
  return out;
}

/** The fallback: the documents printed anew (comments kept where the YAML library can). */
function rerender(manifests: Manifests, resealed: Resealed[]): string {
  return renderManifests(
    manifests.docs.map((d) => {
      const r = resealed.find((x) => x.doc === d);
      if (!r) return { keep: d.source };
      d.source.setIn(["spec", "encryptedData"], d.source.createNode(r.encryptedData));
      return { keep: d.source };
    }),
    manifests.syntax,
  );
}

export function registerReencrypt(program: Command): void {
  const cmd = program
    .command("reencrypt")
    .description("re-seal SealedSecrets to a new certificate with the old keys, locally (key rotation; prints no plaintext)")
    .argument("[file]", "file with SealedSecrets, or - for stdin; with --all, the folder to walk (default .)")
    .option("--all", "every SealedSecret in the YAML/JSON files Git sees under the folder, in place")
    .option("--dry-run", "with --all: list what would be re-sealed, write nothing")
    .option("--cert <file|url>", "the NEW certificate (file or http(s) URL, e.g. the sidecar's /v1/cert.pem); also SEALED_SECRETS_CERT")
    .option("--key <file>", "an OLD private key: tls.key, or a backup of key Secrets (repeatable)", collect, [] as string[])
    .option("-i, --in-place", "replace the file")
    .option("-o, --output <file>", "write the result here instead of stdout")
    .option("-n, --namespace <ns>", "the namespace of SealedSecrets without metadata.namespace")
    .option("--filename <name>", "name to use for stdin (.json means JSON)");
  addInputType(cmd);
  cmd.addHelpText(
    "after",
    `
Only the values under spec.encryptedData change; names, scope, template and comments stay byte for byte.
A SealedSecret already sealed to the new key only is left as it is. Unlike kubeseal --re-encrypt, no
controller is needed and template data is never rendered. Afterwards, keep the old key in the cluster
until every SealedSecret in Git is re-encrypted.

Examples:
  $ seal reencrypt --cert new/tls.crt --key old/tls.key -i k8s/db.sealed.yaml
  $ seal reencrypt --all --cert new/tls.crt --key old/tls.key .      # the whole repository`,
  );
  cmd.action(async (file: string | undefined, flags: ReencryptOptions) => {
    await runCommand("reencrypt", processIo, () => reencryptCommand(file, flags, processIo));
  });
}
