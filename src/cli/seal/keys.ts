/**
 * Where `seal` finds private keys, as sops does, all sources combined: `--key FILE` (repeatable), then
 * SOPS_AGE_KEY (key text), SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, and the sops default key file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AgeKeyError, parseAgeIdentities, parseAgeKeyText, type AgeIdentity } from "../../crypto/age.js";
import { UsageError, type Io } from "./common.js";

/** The sops default: `<config dir>/sops/age/keys.txt` (XDG_CONFIG_HOME honoured everywhere). */
export function defaultKeyFile(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, "sops", "age", "keys.txt");
  const home = env.HOME ?? os.homedir();
  if (process.platform === "darwin") return path.join(home, "Library", "Application Support", "sops", "age", "keys.txt");
  if (process.platform === "win32") return path.join(env.AppData ?? home, "sops", "age", "keys.txt");
  return path.join(home, ".config", "sops", "age", "keys.txt");
}

function readKeyFile(file: string, what: string): AgeIdentity[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${what} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseAgeIdentities(text, file);
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
  for (const f of keyFiles) {
    identities.push(...readKeyFile(path.resolve(io.cwd, f), "--key"));
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
    throw new UsageError(
      `no age key found: pass --key FILE, or set SOPS_AGE_KEY_FILE / SOPS_AGE_KEY, or put your key in ${def} (create one with \`seal keygen\`)`,
    );
  }
  return { identities, tried };
}
