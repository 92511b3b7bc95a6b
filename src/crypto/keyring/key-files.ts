/**
 * Where `seal` finds private keys. age identities as sops finds them, all sources combined: `--key FILE`
 * (repeatable), then SOPS_AGE_KEY (key text), SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, and the sops default key
 * file. RSA keys for SealedSecrets come from `--key` only (a `tls.key`, or a backup of key Secrets, which may
 * hold keys of both kinds), so one `--key` list may mix both: each file is read for what it holds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgeKeyError, parseAgeIdentities, parseAgeKeyText, type AgeIdentity } from "../age.js";
import { parseAllDocuments } from "yaml";
import { keysFromNamedTexts, type KeyringKey } from "./entries.js";
import { UsageError } from "../../config/usage-error.js";
import type { Io } from "../../util/io.js";
import { newestFirst, parseRsaPrivateKeys, type RsaKey } from "../sealed/index.js";

/** The sops default: `<config dir>/sops/age/keys.txt` (XDG_CONFIG_HOME honoured everywhere). */
export function defaultKeyFile(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, "sops", "age", "keys.txt");
  const home = env.HOME ?? os.homedir();
  if (process.platform === "darwin") return path.join(home, "Library", "Application Support", "sops", "age", "keys.txt");
  if (process.platform === "win32") return path.join(env.AppData ?? home, "sops", "age", "keys.txt");
  return path.join(home, ".config", "sops", "age", "keys.txt");
}

function readKeyText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${what} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function readKeyFile(file: string, what: string): AgeIdentity[] {
  return parseAgeIdentities(readKeyText(file, what), file);
}

/** What one `--key` file holds: a PEM bundle (RSA), a backup of key Secrets (either kind), or age identities. */
export interface KeyFileKeys {
  file: string;
  kind: "pem" | "secrets" | "age";
  age: AgeIdentity[];
  rsa: RsaKey[];
}

const SECRET_BACKUP = /^\s*kind:\s*["']?(Secret|List)\b|"kind"\s*:\s*"(Secret|List)"/m;

/**
 * Reads a `--key` file: PEM private keys (`tls.key`, certificates paired by fingerprint), or a YAML/JSON
 * backup of key Secrets read with the keyring's naming rules (`*.key`/`*.crt` RSA, `*.agekey`/`keys.txt`
 * age), or else an age key file.
 */
export function readKeyFileKeys(f: string, io: Io): KeyFileKeys {
  const file = path.resolve(io.cwd, f);
  const text = readKeyText(file, "--key");
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { file: f, kind: "pem", age: [], rsa: parseRsaPrivateKeys(text, f) };
  if (!text.includes("AGE-SECRET-KEY-") && SECRET_BACKUP.test(text)) {
    const keys = keysFromSecretBackup(text, f);
    return {
      file: f,
      kind: "secrets",
      age: keys.flatMap((k) => (k.kind === "age" ? [k.identity] : [])),
      rsa: keys.flatMap((k) => (k.kind === "rsa" ? [k] : [])),
    };
  }
  return { file: f, kind: "age", age: parseAgeIdentities(text, file), rsa: [] };
}

/** Every key in the Secrets of a backup (one Secret, several documents, or a v1 List). */
function keysFromSecretBackup(text: string, f: string): KeyringKey[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) {
    throw new UsageError(`--key ${f}: looks like a key Secret backup but is not valid YAML/JSON`);
  }
  const objects = docs.map((d) => d.toJS() as unknown).flatMap((o) => (isObject(o) && o.kind === "List" && Array.isArray(o.items) ? (o.items as unknown[]) : [o]));
  const keys: KeyringKey[] = [];
  for (const o of objects) {
    if (!isObject(o) || o.kind !== "Secret") continue;
    const md = isObject(o.metadata) ? o.metadata : {};
    const texts = new Map<string, string>();
    for (const [name, value] of Object.entries(isObject(o.data) ? o.data : {})) {
      if (typeof value === "string") texts.set(name, Buffer.from(value, "base64").toString("utf8"));
    }
    for (const [name, value] of Object.entries(isObject(o.stringData) ? o.stringData : {})) if (typeof value === "string") texts.set(name, value);
    const created = typeof md.creationTimestamp === "string" ? new Date(md.creationTimestamp) : undefined;
    keys.push(...keysFromNamedTexts(texts, `${f}: Secret ${String(md.namespace ?? "")}/${String(md.name ?? "?")}`, created));
  }
  if (keys.length === 0) throw new UsageError(`--key ${f}: the Secrets in it hold no key (tls.key, *.key, *.agekey or keys.txt in data)`);
  return keys;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Plain age key files among the `--key` files (those whose errors must not be hidden). */
export function ageKeyFiles(keyFiles: readonly string[], io: Io): string[] {
  return keyFiles.filter((f) => readKeyFileKeys(f, io).kind === "age");
}

/** The RSA keys of the `--key` files, newest first (certificate NotBefore), each once. */
export function loadRsaKeys(keyFiles: readonly string[], io: Io): RsaKey[] {
  const keys = new Map<string, RsaKey>();
  for (const f of keyFiles) {
    for (const key of readKeyFileKeys(f, io).rsa) if (!keys.has(key.id)) keys.set(key.id, key);
  }
  return newestFirst([...keys.values()]);
}

/** Shell-like word splitting (quotes, backslashes), without a shell. */
function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export interface KeySources {
  identities: AgeIdentity[];
  /** Human-readable list of where keys came from, for "no key" messages. */
  tried: string[];
}

export function loadIdentities(keyFiles: readonly string[], io: Io): KeySources {
  const identities: AgeIdentity[] = [];
  const tried: string[] = [];
  const rsaFiles: string[] = [];
  for (const f of keyFiles) {
    const keys = readKeyFileKeys(f, io);
    // RSA keys open SealedSecrets only; they are loadRsaKeys' business.
    if (keys.age.length === 0 && keys.rsa.length > 0) rsaFiles.push(f);
    identities.push(...keys.age);
    tried.push(`--key ${f}`);
  }
  const env = io.env;
  if (env.SOPS_AGE_KEY) {
    identities.push(...parseAgeKeyText(env.SOPS_AGE_KEY, "SOPS_AGE_KEY"));
    tried.push("SOPS_AGE_KEY");
  }
  if (env.SOPS_AGE_KEY_FILE) {
    identities.push(...readKeyFile(path.resolve(io.cwd, env.SOPS_AGE_KEY_FILE), "SOPS_AGE_KEY_FILE"));
    tried.push(`SOPS_AGE_KEY_FILE=${env.SOPS_AGE_KEY_FILE}`);
  }
  if (env.SOPS_AGE_KEY_CMD) {
    const [cmd, ...args] = splitCommand(env.SOPS_AGE_KEY_CMD);
    if (!cmd) throw new UsageError("SOPS_AGE_KEY_CMD is empty");
    const res = spawnSync(cmd, args, { encoding: "utf8", env, cwd: io.cwd });
    if (res.error || res.status !== 0) throw new UsageError(`SOPS_AGE_KEY_CMD failed (${res.error?.message ?? `exit ${res.status}`})`);
    identities.push(...parseAgeKeyText(res.stdout, "SOPS_AGE_KEY_CMD output"));
    tried.push("SOPS_AGE_KEY_CMD");
  }
  const def = defaultKeyFile(env);
  if (existsSync(def)) {
    try {
      identities.push(...parseAgeIdentities(readFileSync(def, "utf8"), def));
      tried.push(def);
    } catch (err) {
      if (!(err instanceof AgeKeyError)) throw err;
      throw new AgeKeyError(`${err.message} (the sops default key file)`);
    }
  }
  if (identities.length === 0) {
    const rsaNote = rsaFiles.length
      ? ` (${rsaFiles.join(", ")} ${rsaFiles.length === 1 ? "holds an RSA key, which opens" : "hold RSA keys, which open"} SealedSecrets, not SOPS files)`
      : "";
    throw new UsageError(
      `no age key found${rsaNote}: pass --key FILE, or set SOPS_AGE_KEY_FILE / SOPS_AGE_KEY, or put your key in ${def} (create one with \`seal keygen\`)`,
    );
  }
  return { identities, tried };
}
