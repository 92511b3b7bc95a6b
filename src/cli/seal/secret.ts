/**
 * `seal secret NAME`: an encrypted Kubernetes Secret (SOPS) or a SealedSecret from literals, files and env
 * files. The plaintext Secret exists only in memory; only the encrypted manifest is written.
 */
import path from "node:path";
import type { Command } from "commander";
import { stringify } from "yaml";
import { sealSecret, type SealingScope } from "../../crypto/sealed/index.js";
import { encryptSopsTrees, TreeMap, treeToPlain, type TreeValue } from "../../crypto/sops/index.js";
import { loadSealingCert } from "../../server/sealing-cert.js";
import { collect, processIo, readInput, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { rejectSopsFlags } from "./encrypt.js";
import { addFormatOption, addRecipientOptions, addSealedOptions, impliedFormat, rejectFlags, type OutputFormat } from "./options.js";
import { planEncryption, type RecipientFlags } from "../../crypto/sops/recipients.js";

export interface SecretOptions extends RecipientFlags {
  format: OutputFormat;
  /** sealed: the certificate (file or URL) and the scope (default strict). */
  cert?: string;
  scope?: SealingScope;
  namespace?: string;
  fromLiteral: string[];
  fromFile: string[];
  fromEnvFile: string[];
  type?: string;
  output?: string;
  filename?: string;
}

const KEY_NAME = /^[-._a-zA-Z0-9]+$/;

function checkKey(key: string, from: string): string {
  if (!KEY_NAME.test(key)) throw new UsageError(`${from}: "${key}" is not a valid Secret key (letters, digits, '-', '_', '.')`);
  return key;
}

/** kubectl's env-file rules: KEY=VALUE lines, `#` comments and blank lines skipped, no unquoting. */
function parseEnvFile(text: string, file: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new UsageError(`${file} line ${i + 1}: expected KEY=VALUE`);
    out.push([checkKey(line.slice(0, eq), `${file} line ${i + 1}`), line.slice(eq + 1)]);
  });
  return out;
}

export function buildSecret(name: string, opts: SecretOptions, io: Io): TreeMap {
  const stringData = new TreeMap();
  const data = new TreeMap();
  const seen = new Set<string>();
  const add = (map: TreeMap, key: string, value: TreeValue, from: string) => {
    if (seen.has(key)) throw new UsageError(`${from}: key "${key}" is given more than once`);
    seen.add(key);
    map.items.push({ key, value });
  };
  for (const lit of opts.fromLiteral) {
    const eq = lit.indexOf("=");
    if (eq <= 0) throw new UsageError(`--from-literal expects KEY=VALUE (got a value without a key)`);
    add(stringData, checkKey(lit.slice(0, eq), "--from-literal"), lit.slice(eq + 1), "--from-literal");
  }
  for (const envFile of opts.fromEnvFile) {
    for (const [k, v] of parseEnvFile(readInput(envFile, io).toString("utf8"), envFile)) add(stringData, k, v, envFile);
  }
  for (const spec of opts.fromFile) {
    const eq = spec.indexOf("=");
    const [key, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [path.basename(spec), spec];
    // Files may be binary: they go to data, base64-encoded, as kubectl does.
    add(data, checkKey(key, `--from-file ${spec}`), readInput(file, io).toString("base64"), `--from-file ${spec}`);
  }
  if (seen.size === 0) throw new UsageError("no data: give at least one --from-literal, --from-file or --from-env-file");
  const metadata = new TreeMap([{ key: "name", value: name }]);
  if (opts.namespace) metadata.items.push({ key: "namespace", value: opts.namespace });
  const secret = new TreeMap([
    { key: "apiVersion", value: "v1" },
    { key: "kind", value: "Secret" },
    { key: "metadata", value: metadata },
    { key: "type", value: opts.type ?? "Opaque" },
  ]);
  if (stringData.items.length > 0) secret.items.push({ key: "stringData", value: stringData });
  if (data.items.length > 0) secret.items.push({ key: "data", value: data });
  return secret;
}

export async function secretCommand(name: string, opts: SecretOptions, io: Io): Promise<number> {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw new UsageError(`"${name}" is not a valid Secret name (lower-case letters, digits, '-' and '.')`);
  }
  switch (opts.format) {
    case "sops":
      rejectFlags(opts, "--format sops (age)", { cert: "--cert", scope: "--scope" });
      return secretSops(name, opts, io);
    case "sealed":
      rejectSopsFlags(opts);
      return secretSealed(name, opts, io);
  }
}

async function secretSealed(name: string, opts: SecretOptions, io: Io): Promise<number> {
  const scope = opts.scope ?? "strict";
  if (scope !== "cluster-wide" && !opts.namespace) {
    throw new UsageError(`a SealedSecret with ${scope} scope is bound to its namespace: pass -n NS (or --scope cluster-wide)`);
  }
  const secret = treeToPlain(buildSecret(name, opts, io));
  const cert = await loadSealingCert(opts.cert, io);
  const out = stringify(sealSecret(secret, cert, { scope }), { lineWidth: 0 });
  if (opts.output) {
    writeFileAtomic(opts.output, out, io);
    say(io, `wrote SealedSecret ${opts.namespace ? `${opts.namespace}/` : ""}${name} (${scope} scope) to ${opts.output} for key ${cert.keyId}`);
  } else {
    await writeStdout(io, out);
  }
  return 0;
}

async function secretSops(name: string, opts: SecretOptions, io: Io): Promise<number> {
  const secret = buildSecret(name, opts, io);
  const subject = opts.output ?? opts.filename ?? `${name}.yaml`;
  const plan = planEncryption(opts, subject, io);
  const out = await encryptSopsTrees([secret], {
    file: subject,
    keyGroups: plan.keyGroups,
    shamirThreshold: plan.shamirThreshold,
    selectors: plan.selectors,
    macOnlyEncrypted: plan.macOnlyEncrypted,
  });
  if (opts.output) {
    writeFileAtomic(opts.output, out, io);
    say(io, `wrote encrypted Secret ${opts.namespace ? `${opts.namespace}/` : ""}${name} to ${opts.output} (recipients from ${plan.source})`);
  } else {
    await writeStdout(io, out);
  }
  return 0;
}

export function registerSecret(program: Command): void {
  const cmd = program
    .command("secret")
    .description("make an encrypted Kubernetes Secret manifest from literals, files and env files")
    .argument("<name>", "the Secret's name")
    .option("-n, --namespace <ns>", "the Secret's namespace")
    .option("--from-literal <key=value>", "a key and literal value (repeatable)", collect, [] as string[])
    .option("--from-file <[key=]path>", "a file's content, key defaults to the file name (repeatable)", collect, [] as string[])
    .option("--from-env-file <path>", "KEY=VALUE lines of a file (repeatable)", collect, [] as string[])
    .option("--type <type>", "the Secret type", "Opaque")
    .option("-o, --output <file>", "write the encrypted manifest here instead of stdout")
    .option("--filename <name>", "path to match against .sops.yaml path_regex (default: -o, else NAME.yaml)");
  addFormatOption(cmd);
  addRecipientOptions(cmd);
  addSealedOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Only data and stringData are encrypted (encrypted_regex ^(data|stringData)$) unless a selector flag or
the .sops.yaml rule says otherwise. The plaintext Secret is never written anywhere.

With --format sealed the Secret becomes a SealedSecret for --cert's key (scope strict unless --scope).

Examples:
  $ seal secret db-credentials -n my-app --from-literal username=admin --from-file tls.key -o k8s/db.enc.yaml
  $ seal secret db-credentials -n my-app --from-literal password=s3cr3t --format sealed --cert tls.crt -o k8s/db.sealed.yaml`,
  );
  cmd.action(async (name: string, flags: Omit<SecretOptions, "format"> & { format?: OutputFormat }) => {
    await runCommand("secret", processIo, () => secretCommand(name, { ...flags, format: impliedFormat(flags) }, processIo));
  });
}
