/**
 * The trusted signers: a folder (--verify-keys: *.asc OpenPGP armored keys, *.pub / *.sshpub SSH
 * public keys, one or many per file) and/or a git allowed_signers file (--verify-allowed-signers).
 * Both are re-read when their files change (checked before each verification, so a mounted Secret's
 * kubelet swap is picked up without a restart). A reload that fails keeps the previous keys in force
 * and reports why; a first load that fails is an error.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { allowedSignerProblem, parseAllowedSigners, type AllowedSigner } from "./allowed-signers.js";
import { readPgpKeys, type PgpTrustedKey } from "./openpgp.js";
import { parseSshKeyLine, type SshPublicKey } from "./ssh-key.js";

export interface TrustedKeysOptions {
  dir?: string;
  allowedSignersFile?: string;
}

export interface TrustedSet {
  /** SSH keys from the folder: trusted for any time and principal. */
  ssh: Map<string, { key: SshPublicKey; source: string }>;
  /** allowed_signers entries by key fingerprint. */
  allowed: Map<string, AllowedSigner[]>;
  pgp: PgpTrustedKey[];
}

export class TrustError extends Error {
  override name = "TrustError";
}

export const TRUSTED_KEY_FILE = /\.(asc|pub|sshpub)$/;

/** Loads one folder's key files; throws naming the file (and line) that is wrong. */
export async function loadTrustedDir(dir: string, into: TrustedSet): Promise<void> {
  for (const name of readdirSync(dir).filter((n) => !n.startsWith(".") && TRUSTED_KEY_FILE.test(n)).sort()) {
    const file = path.join(dir, name);
    const text = readFileSync(file, "utf8");
    if (name.endsWith(".asc")) {
      try {
        into.pgp.push(...await readPgpKeys(text));
      } catch (err) {
        throw new TrustError(`${file}: ${(err as Error).message}`);
      }
      continue;
    }
    text.split(/\r?\n/).forEach((line, i) => {
      try {
        const parsed = parseSshKeyLine(line);
        if (parsed) into.ssh.set(parsed.key.fingerprint, { key: parsed.key, source: `${file}:${i + 1}` });
      } catch (err) {
        throw new TrustError(`${file}:${i + 1}: ${(err as Error).message}`);
      }
    });
  }
}

export class TrustedKeys {
  #set?: TrustedSet;
  #stamp = "";

  constructor(private readonly opts: TrustedKeysOptions) {
    if (!opts.dir && !opts.allowedSignersFile) throw new TrustError("signature verification needs --verify-keys DIR or --verify-allowed-signers FILE");
  }

  /** Files and their sizes/mtimes: a change in any means reload. */
  #currentStamp(): string {
    const parts: string[] = [];
    const stat = (f: string) => {
      const s = statSync(f);
      parts.push(`${f}:${s.size}:${s.mtimeMs}`);
    };
    if (this.opts.dir) for (const n of readdirSync(this.opts.dir).filter((x) => TRUSTED_KEY_FILE.test(x) && !x.startsWith("."))) stat(path.join(this.opts.dir, n));
    if (this.opts.allowedSignersFile) stat(this.opts.allowedSignersFile);
    return parts.sort().join("|");
  }

  /** The keys in force, reloaded if their files changed. `onReloadError` hears why a reload was ignored. */
  async current(onReloadError?: (err: Error) => void): Promise<TrustedSet> {
    try {
      const stamp = this.#currentStamp();
      if (this.#set && stamp === this.#stamp) return this.#set;
      const set: TrustedSet = { ssh: new Map(), allowed: new Map(), pgp: [] };
      if (this.opts.dir) await loadTrustedDir(this.opts.dir, set);
      if (this.opts.allowedSignersFile) {
        const file = this.opts.allowedSignersFile;
        for (const entry of parseAllowedSigners(readFileSync(file, "utf8"), file)) {
          set.allowed.set(entry.key.fingerprint, [...(set.allowed.get(entry.key.fingerprint) ?? []), entry]);
        }
      }
      if (set.ssh.size + set.allowed.size + set.pgp.length === 0) throw new TrustError("no trusted keys found (expected *.asc, *.pub or *.sshpub files, or allowed_signers lines)");
      this.#set = set;
      this.#stamp = stamp;
      return set;
    } catch (err) {
      const e = err instanceof TrustError ? err : new TrustError(`cannot read trusted keys: ${(err as Error).message}`);
      if (!this.#set) throw e;
      onReloadError?.(e);
      return this.#set;
    }
  }
}

/** Is this SSH key trusted to sign in namespace "git" at `when`? Returns the reason when not. */
export function sshKeyTrust(set: TrustedSet, key: SshPublicKey, when: Date): { trusted: true; principal?: string } | { trusted: false; reason: string } {
  if (set.ssh.has(key.fingerprint)) return { trusted: true };
  const entries = set.allowed.get(key.fingerprint) ?? [];
  if (entries.length === 0) return { trusted: false, reason: `signed by SSH key ${key.fingerprint}, which is not a trusted key` };
  const problems: string[] = [];
  for (const entry of entries) {
    const problem = allowedSignerProblem(entry, when);
    if (!problem) return { trusted: true, principal: entry.principals[0] };
    problems.push(problem);
  }
  return { trusted: false, reason: `SSH key ${key.fingerprint} is in the allowed signers but ${problems.join("; ")}` };
}

export interface TrustedKeyInfo {
  /** "ssh" or "openpgp". */
  format: "ssh" | "openpgp";
  /** Key type: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …; for OpenPGP the algorithm (eddsa, rsaEncryptSign…). */
  type: string;
  fingerprint: string;
  /** The SSH comment or the OpenPGP user ID. */
  label: string;
}

/** What a key file holds (validated as --verify-keys would load it); throws naming the line that is wrong. */
export async function describeKeyText(text: string, name: string): Promise<TrustedKeyInfo[]> {
  if (text.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
    try {
      return (await readPgpKeys(text)).map((k) => ({ format: "openpgp", type: k.key.getAlgorithmInfo().algorithm, fingerprint: k.fingerprint, label: k.userId }));
    } catch (err) {
      throw new TrustError(`${name}: ${(err as Error).message}`);
    }
  }
  if (text.includes("PRIVATE KEY")) throw new TrustError(`${name}: this is a private key: give the public key (the .pub file, or gpg --armor --export)`);
  const out: TrustedKeyInfo[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    try {
      const parsed = parseSshKeyLine(line);
      if (parsed) out.push({ format: "ssh", type: parsed.key.type, fingerprint: parsed.key.fingerprint, label: parsed.comment });
    } catch (err) {
      throw new TrustError(`${name}:${i + 1}: ${(err as Error).message}`);
    }
  });
  if (out.length === 0) throw new TrustError(`${name}: no public key found (expected SSH public key lines or an armored OpenPGP public key)`);
  return out;
}
