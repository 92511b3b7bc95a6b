/**
 * `seal check PATH…`: the pre-commit guard. One line per finding and exit 1 for a plaintext Secret, a
 * half-encrypted file, a garbled ENC value or (with a key) a MAC mismatch, a SealedSecret whose sealed
 * data cannot be read (or, with its RSA key, does not unseal); a summary and exit 0 otherwise.
 * `--staged` checks what is staged in Git; `--install-hook` installs that as the pre-commit hook.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { MAX_DEPTH, bracketDepthOver } from "../../manifests/limits.js";
import type { AgeIdentity } from "../../crypto/age.js";
import { isSealedSecret, scopeFromAnnotations, SealedSecretError, unsealSealedSecret, type RsaKey } from "../../crypto/sealed/index.js";
import { readSealedSecret } from "../../crypto/sealed/sealed-secret.js";
import {
  decryptSopsFile,
  findingText,
  inspectEncryptedTrees,
  loadEncrypted,
  SopsError,
  SopsNoMatchingKeyError,
  SopsUnsupportedKeyError,
  type Finding,
  type SopsFormat,
} from "../../crypto/sops/index.js";
import { processIo, runCommand, say, UsageError, writeStdout, type Io } from "./common.js";
import { ageKeyFiles, loadIdentities, loadRsaKeys } from "./keys.js";
import { addKeyOption } from "./options.js";

export interface CheckOptions {
  key: string[];
  /** The namespace sealsync applies SealedSecrets without metadata.namespace to. */
  namespace?: string;
  staged?: boolean;
  installHook?: boolean;
  force?: boolean;
}

const SKIP_DIRS = new Set([".git", "node_modules", ".cache"]);
const FORMATS: Record<string, SopsFormat> = { ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv" };

interface Source {
  name: string;
  read: () => Buffer;
}

interface Tally {
  files: number;
  /** SOPS files seen, and how many of those a held key opened with a valid MAC. */
  encrypted: number;
  verified: number;
  /** SealedSecrets seen, and how many of those a given RSA key unsealed. */
  sealed: number;
  unsealed: number;
}

interface CheckKeys {
  identities: AgeIdentity[] | undefined;
  rsa: RsaKey[];
  namespace: string | undefined;
}

function walk(p: string, io: Io, out: Source[], explicit: boolean): void {
  const abs = path.resolve(io.cwd, p);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UsageError(`${p}: no such file or directory`);
  }
  if (st.isDirectory()) {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.isDirectory() && SKIP_DIRS.has(e.name)) continue;
      if (e.isDirectory() || e.isFile()) walk(path.join(p, e.name), io, out, false);
    }
  } else if (st.isFile() && (explicit || FORMATS[path.extname(p).toLowerCase()])) {
    out.push({ name: p, read: () => readFileSync(abs) });
  }
}

function git(args: string[], io: Io): Buffer {
  const res = spawnSync("git", args, { cwd: io.cwd, maxBuffer: 256 * 1024 * 1024 });
  if (res.error) throw new UsageError(`git is needed for this (${res.error.message})`);
  if (res.status !== 0) throw new UsageError(`git ${args[0]} failed: ${res.stderr.toString().trim()}`);
  return res.stdout;
}

function stagedSources(io: Io): Source[] {
  return git(["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"], io)
    .toString("utf8")
    .split("\0")
    .filter((n) => n !== "" && FORMATS[path.extname(n).toLowerCase()])
    // The staged blob, not the working tree: that is what the commit will contain.
    .map((name) => ({ name, read: () => git(["show", `:${name}`], io) }));
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
  if (bracketDepthOver(text)) return { error: `nested deeper than ${MAX_DEPTH} levels` };
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

async function checkOne(src: Source, keys: CheckKeys, tally: Tally): Promise<Finding[]> {
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

const HOOK_MARKER = "# installed by `seal check --install-hook`";

function installHook(opts: CheckOptions, io: Io): number {
  const hooks = path.resolve(io.cwd, git(["rev-parse", "--git-path", "hooks"], io).toString("utf8").trim());
  const file = path.join(hooks, "pre-commit");
  if (existsSync(file) && !readFileSync(file, "utf8").includes(HOOK_MARKER) && !opts.force) {
    throw new UsageError(`${file} exists and was not written by seal; add \`seal check --staged\` to it yourself, or use --force to replace it`);
  }
  // Call this very seal (node + script) so the hook works without seal on PATH.
  const script = process.argv[1] ? path.resolve(process.argv[1]) : "";
  const self = script && existsSync(script) ? `"${process.execPath}" "${script}"` : "seal";
  const body = `#!/bin/sh
${HOOK_MARKER}
# Refuses a commit that stages a plaintext Kubernetes Secret or a broken SOPS file.
exec ${self} check --staged
`;
  mkdirSync(hooks, { recursive: true });
  writeFileSync(file, body, { mode: 0o755 });
  chmodSync(file, 0o755);
  say(io, `installed ${file}: commits now run \`seal check --staged\``);
  return 0;
}

export async function checkCommand(paths: string[], opts: CheckOptions, io: Io): Promise<number> {
  if (opts.installHook) return installHook(opts, io);
  if (opts.staged && paths.length > 0) throw new UsageError("--staged checks the Git index; do not give paths with it");
  const sources: Source[] = [];
  if (opts.staged) sources.push(...stagedSources(io));
  else {
    if (paths.length === 0) throw new UsageError("give files or directories to check (or --staged)");
    for (const p of paths) walk(p, io, sources, true);
  }
  // Overlapping paths (k8s and .) name some files twice; check each once.
  const unique = [...new Map(sources.map((s) => [path.resolve(io.cwd, s.name), s])).values()];
  const keys: CheckKeys = { identities: undefined, rsa: loadRsaKeys(opts.key, io), namespace: opts.namespace };
  try {
    keys.identities = loadIdentities(opts.key, io).identities;
  } catch (err) {
    // Without a key the structure is still checked; only an explicit age key file must work.
    if (ageKeyFiles(opts.key, io).length > 0 || !(err instanceof UsageError)) throw err;
  }
  const tally: Tally = { files: 0, encrypted: 0, verified: 0, sealed: 0, unsealed: 0 };
  const findings: Finding[] = [];
  for (const s of unique) findings.push(...(await checkOne(s, keys, tally)));
  if (findings.length > 0) await writeStdout(io, findings.map((f) => `${findingText(f)}\n`).join(""));
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const macNote = (tally.encrypted > 0 ? `; MAC verified for ${tally.verified} of ${tally.encrypted} encrypted` : "") +
    (tally.sealed > 0 && keys.rsa.length > 0 ? `; unsealed ${tally.unsealed} of ${plural(tally.sealed, "SealedSecret")}` : "");
  if (findings.length > 0) {
    say(io, `seal check: ${plural(findings.length, "problem")} in ${plural(tally.files, "file")} checked${macNote}`);
    return 1;
  }
  say(io, `seal check: ${plural(tally.files, "file")} checked, no plaintext secrets${macNote}`);
  return 0;
}

export function registerCheck(program: Command): void {
  const cmd = program
    .command("check")
    .description("fail on plaintext Secrets and broken SOPS files (the pre-commit guard)")
    .argument("[paths...]", "files or directories (YAML, JSON, .env; .git and node_modules are skipped)")
    .option("--staged", "check the files staged in Git (their staged content)")
    .option("--install-hook", "install a Git pre-commit hook that runs `seal check --staged`")
    .option("--force", "with --install-hook: replace an existing pre-commit hook")
    .option("-n, --namespace <ns>", "the namespace sealsync applies SealedSecrets without metadata.namespace to (with an RSA --key)");
  addKeyOption(cmd, "both");
  cmd.addHelpText(
    "after",
    `
Findings: a kind: Secret (or stringData/data) in plaintext, a document without sops metadata in an
encrypted file, a value left unencrypted, a garbled ENC[…] value, and — when a key can open the file —
a MAC mismatch. SealedSecrets: an item that is not standard base64 or is truncated, template data
(which sealsync does not render), and — given the cluster's RSA key (--key tls.key) — an item that
does not unseal (wrong key, moved or renamed, wrong scope annotation, altered).
Exit 1 with one line per finding on stdout; exit 0 with a summary on stderr.

Examples:
  $ seal check k8s/
  $ seal check --key tls.key k8s/
  $ seal check --install-hook`,
  );
  cmd.action(async (paths: string[], flags: CheckOptions) => {
    await runCommand("check", processIo, () => checkCommand(paths, flags, processIo));
  });
}
