/**
 * Where `seal` finds private keys. age identities as sops finds them, all sources combined: `--key FILE`
 * (repeatable), then SOPS_AGE_KEY (key text), SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, and the sops default key
 * file. RSA keys for SealedSecrets come from `--key` only (a `tls.key`, or a backup of key Secrets), so one
 * `--key` list may mix both kinds: each file is sorted by what it holds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgeKeyError, parseAgeIdentities, parseAgeKeyText, type AgeIdentity } from "../../crypto/age.js";
import { newestFirst, parseRsaPrivateKeys, type RsaKey } from "../../crypto/sealed/index.js";
import { UsageError, type Io } from "./common.js";

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

/**
 * True when a key file holds RSA keys for SealedSecrets rather than age identities: a PEM private key
 * (`tls.key`), or a YAML/JSON backup of key Secrets (their `data["tls.key"]`).
 */
export function isRsaKeyText(text: string): boolean {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return true;
  return !text.includes("AGE-SECRET-KEY-") && /["']?tls\.key["']?\s*:/.test(text);
}

/** `--key` files sorted by what they hold: age identities, or RSA keys for SealedSecrets. */
export function partitionKeyFiles(keyFiles: readonly string[], io: Io): { age: string[]; rsa: string[] } {
  const out = { age: [] as string[], rsa: [] as string[] };
  for (const f of keyFiles) (isRsaKeyText(readKeyText(path.resolve(io.cwd, f), "--key")) ? out.rsa : out.age).push(f);
  return out;
}

/**
 * The RSA keys among the `--key` files, newest first (certificate NotBefore), each once. Files holding
 * age identities are left to loadIdentities.
 */
export function loadRsaKeys(keyFiles: readonly string[], io: Io): RsaKey[] {
  const keys = new Map<string, RsaKey>();
  for (const f of keyFiles) {
    const text = readKeyText(path.resolve(io.cwd, f), "--key");
    if (!isRsaKeyText(text)) continue;
    for (const key of parseRsaPrivateKeys(text, f)) if (!keys.has(key.id)) keys.set(key.id, key);
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
    const file = path.resolve(io.cwd, f);
    const text = readKeyText(file, "--key");
    // An RSA key opens SealedSecrets only; it is loadRsaKeys' business.
    if (isRsaKeyText(text)) {
      rsaFiles.push(f);
      continue;
    }
    identities.push(...parseAgeIdentities(text, file));
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
