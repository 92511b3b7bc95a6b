/**
 * `seal reencrypt --cert NEW --key OLD FILE`: key rotation for SealedSecrets, done locally. Every item is
 * opened with the old keys and sealed again to the new certificate under the same scope; only the values
 * under spec.encryptedData change in the file, every other byte (metadata, template, comments) stays.
 * Nothing is printed in plaintext.
 */
import { isDeepStrictEqual } from "node:util";
import type { Command } from "commander";
import { isMap, isScalar, parseAllDocuments, Scalar } from "yaml";
import { isSealedSecret, reencryptSealedSecret, type SealedSecretObject } from "../../crypto/sealed/index.js";
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
}

interface Resealed {
  doc: ManifestDoc;
  encryptedData: Record<string, string>;
}

export async function reencryptCommand(file: string, opts: ReencryptOptions, io: Io): Promise<number> {
  if (opts.inPlace && file === "-") throw new UsageError("-i cannot be used with stdin; use -o FILE or redirect stdout");
  if (opts.inPlace && opts.output) throw new UsageError("use either -i or -o, not both");
  const subject = file === "-" ? (opts.filename ?? "stdin") : file;
  const manifests = readManifests(readInput(file, io), subject, opts.inputType);
  const sealedDocs = manifests.docs.filter((d) => isSealedSecret(d.value));
  if (sealedDocs.length === 0) throw new UsageError(`${subject}: no SealedSecret to re-encrypt`);
  const keys = loadRsaKeys(opts.key, io);
  if (keys.length === 0) {
    throw new UsageError("give the old private key(s) with --key tls.key (repeatable; a backup of the controller's key Secrets works too)");
  }
  const cert = await loadSealingCert(opts.cert, io);

  const resealed: Resealed[] = [];
  for (const doc of sealedDocs) {
    const where = docWhere(subject, doc, manifests.docs.length);
    const res = reencryptSealedSecret(doc.value, keys, cert, where, { defaultNamespace: opts.namespace });
    const name = objectName(doc.value as Record<string, unknown>);
    const items = Object.keys(res.sealedSecret.spec.encryptedData).length;
    // Already sealed to the new key only: leave it as it is, so Git shows no change.
    if (res.fromKeyIds.length > 0 && res.fromKeyIds.every((id) => id === res.toKeyId)) {
      say(io, `${name}: already sealed to key ${res.toKeyId}; left as it is`);
      continue;
    }
    if (items === 0) continue;
    resealed.push({ doc, encryptedData: res.sealedSecret.spec.encryptedData });
    say(io, `${name}: re-sealed ${items} item${items === 1 ? "" : "s"} from key ${res.fromKeyIds.join(", ")} to key ${res.toKeyId}`);
  }

  if (resealed.length === 0) {
    if (opts.output) writeFileAtomic(opts.output, manifests.text, io);
    else if (!opts.inPlace) await writeStdout(io, manifests.text);
    return 0;
  }
  const text = spliceEncryptedData(manifests, resealed) ?? rerender(manifests, resealed);
  if (opts.inPlace || opts.output) {
    const target = opts.inPlace ? file : opts.output!;
    writeFileAtomic(target, text, io);
    say(io, `wrote ${target}`);
  } else {
    await writeStdout(io, text);
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
    .argument("<file>", "file with SealedSecrets, or - for stdin")
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

Example:
  $ seal reencrypt --cert new/tls.crt --key old/tls.key -i k8s/db.sealed.yaml`,
  );
  cmd.action(async (file: string, flags: ReencryptOptions) => {
    await runCommand("reencrypt", processIo, () => reencryptCommand(file, flags, processIo));
  });
}
