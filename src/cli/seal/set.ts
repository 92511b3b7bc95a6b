/**
 * `seal set FILE KEY` and `seal unset FILE KEY`: change one value of a SOPS file (needs a key that opens it)
 * or one item of a SealedSecret (needs only the certificate), in place, leaving every other ciphertext as it
 * is so `seal diff` and code review show exactly one change. The value comes from stdin, a hidden prompt or
 * --from-file: never from argv, never written anywhere but into the encrypted file.
 */
import type { Command } from "commander";
import { isSealedSecret } from "../../crypto/sealed/index.js";
import { sealItemFor } from "../../crypto/sealed/set-item.js";
import { formatPath, isEncryptedFile, type SopsFormat } from "../../crypto/sops/index.js";
import { KeyPathError, setSopsValue } from "../../crypto/sops/set.js";
import { loadSealingCert } from "../../server/sealing-cert.js";
import { processIo, readInput, runCommand, say, UsageError, writeFileAtomic, type Io } from "./common.js";
import { inputFormat } from "./encrypt.js";
import { loadIdentities } from "../../crypto/keyring/key-files.js";
import { docWhere, readManifests, renderManifests } from "../../manifests/round-trip.js";
import { addInputType, addKeyOption } from "./options.js";
import { readSecretValue } from "./prompt.js";

export interface SetOptions {
  key: string[];
  fromFile?: string;
  cert?: string;
  namespace?: string;
  inputType?: SopsFormat;
}

export async function setCommand(file: string, key: string, opts: SetOptions, io: Io, unset = false): Promise<number> {
  const verb = unset ? "unset" : "set";
  if (file === "-") throw new UsageError(`${verb} changes the file in place; give a file, not stdin`);
  if (unset && opts.fromFile) throw new UsageError("--from-file does not apply to unset");
  const bytes = readInput(file, io);
  const format = inputFormat(file, opts);
  if (isEncryptedFile(bytes, format, file)) {
    if (opts.cert) throw new UsageError(`--cert applies to SealedSecrets; ${file} is a SOPS file`);
    const { identities } = loadIdentities(opts.key, io);
    const value = unset ? undefined : await readSecretValue(opts, key, io);
    try {
      if (value?.length === 0) throw new UsageError(`${key}: the value is empty (nothing on stdin?); use seal unset to remove a key`);
      const res = await setSopsValue(bytes, { format, file, identities, key, value });
      if (res.action === "unchanged") {
        say(io, `${file}: ${formatPath(res.path)} already has this value; file left as it is`);
        return 0;
      }
      writeFileAtomic(file, res.bytes, io);
      say(io, `${file}: ${res.action} ${formatPath(res.path)}${res.base64 ? " (base64-encoded, as data of a Secret)" : ""}; other values' ciphertexts unchanged, MAC updated`);
      return 0;
    } catch (err) {
      if (err instanceof KeyPathError) throw new UsageError(err.message);
      throw err;
    } finally {
      value?.fill(0);
    }
  }
  return setSealedItem(file, bytes, key, opts, io, unset);
}

async function setSealedItem(file: string, bytes: Buffer, key: string, opts: SetOptions, io: Io, unset: boolean): Promise<number> {
  const manifests = readManifests(bytes, file, opts.inputType);
  const sealed = manifests.docs.filter((d) => isSealedSecret(d.value));
  if (sealed.length === 0) throw new UsageError(`${file}: neither a SOPS file nor a SealedSecret`);
  if (sealed.length > 1) throw new UsageError(`${file}: holds ${sealed.length} SealedSecrets; seal set edits files with one`);
  const doc = sealed[0]!;
  const items = doc.source.getIn(["spec", "encryptedData"]) as unknown;
  const has = doc.source.hasIn(["spec", "encryptedData", key]);
  if (unset) {
    if (!has) throw new UsageError(`${file}: the SealedSecret has no item ${key}`);
    doc.source.deleteIn(["spec", "encryptedData", key]);
  } else {
    const cert = await loadSealingCert(opts.cert, io);
    const value = await readSecretValue(opts, key, io);
    try {
      if (value.length === 0) throw new UsageError(`${key}: the value is empty (nothing on stdin?); use seal unset to remove an item`);
      const item = sealItemFor(doc.value, value, cert, docWhere(file, doc, manifests.docs.length), { defaultNamespace: opts.namespace });
      if (items === undefined || items === null) doc.source.setIn(["spec", "encryptedData"], doc.source.createNode({}));
      doc.source.setIn(["spec", "encryptedData", key], item);
    } finally {
      value.fill(0);
    }
  }
  writeFileAtomic(file, renderManifests(manifests.docs.map((d) => ({ keep: d.source })), manifests.syntax), io);
  say(io, `${file}: ${unset ? "removed" : has ? "re-sealed" : "added"} item ${key}; other items unchanged`);
  return 0;
}

export function registerSet(program: Command): void {
  const set = program
    .command("set")
    .description("change one value of a SOPS file or one item of a SealedSecret, in place (value from stdin or a hidden prompt)")
    .argument("<file>", "a SOPS file, or a file with one SealedSecret")
    .argument("<key>", "SOPS: a key path (data.password, data.tls.crt or [\"data\"][\"tls.crt\"]); SealedSecret: the item name")
    .option("--from-file <file>", "read the value from this file (its bytes, unchanged)")
    .option("--cert <file|url>", "SealedSecret: the cluster's certificate (no private key needed); also SEALED_SECRETS_CERT")
    .option("-n, --namespace <ns>", "SealedSecret without metadata.namespace: the namespace it is applied to");
  addKeyOption(set);
  addInputType(set);
  set.addHelpText(
    "after",
    `
The value is read from stdin (one trailing newline dropped), or prompted for without echo on a terminal,
or taken from --from-file. Under data: of a kind: Secret it is base64-encoded for you. Only that value's
ciphertext changes (and the MAC), so \`seal diff\` shows one changed key.

Examples:
  $ seal set k8s/db.enc.yaml stringData.password           # prompts
  $ pass show db | seal set k8s/db.enc.yaml data.password
  $ seal set --cert cluster.crt k8s/db.sealed.yaml password < new-password.txt`,
  );
  set.action(async (file: string, key: string, flags: SetOptions) => {
    await runCommand("set", processIo, () => setCommand(file, key, flags, processIo));
  });

  const unset = program
    .command("unset")
    .description("remove one key of a SOPS file or one item of a SealedSecret, in place")
    .argument("<file>", "a SOPS file, or a file with one SealedSecret")
    .argument("<key>", "SOPS: a key path; SealedSecret: the item name");
  addKeyOption(unset);
  addInputType(unset);
  unset.action(async (file: string, key: string, flags: SetOptions) => {
    await runCommand("unset", processIo, () => setCommand(file, key, flags, processIo, true));
  });
}
