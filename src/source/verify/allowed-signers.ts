/**
 * git's allowed_signers file (gpg.ssh.allowedSignersFile; ssh-keygen(1) "ALLOWED SIGNERS"):
 *   principals [options] keytype base64 [comment]
 * with the options namespaces="git,…", valid-after="YYYYMMDD[HHMM[SS]][Z]", valid-before="…" and
 * cert-authority (refused: certificates are not supported). Times without Z are local time, as in
 * OpenSSH. A key is good for a signature made at time t (the committer's time, as git passes it) when
 * its namespaces include "git" (or are absent) and t lies inside its validity window.
 */
import { parseSshPublicKey, type SshPublicKey } from "./ssh-key.js";

export interface AllowedSigner {
  principals: string[];
  key: SshPublicKey;
  namespaces?: string[];
  validAfter?: Date;
  validBefore?: Date;
  /** "FILE:LINE", for messages. */
  source: string;
}

/** Whitespace-separated tokens; double quotes group (and are kept inside option values). */
function tokens(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (quoted) throw new Error("unterminated quote");
  if (cur) out.push(cur);
  return out;
}

export function parseSshTime(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/i.exec(value);
  if (!m) throw new Error(`invalid time "${value}" (expected YYYYMMDD[HHMM[SS]][Z])`);
  const [, y, mo, d, h = "0", mi = "0", s = "0", z] = m;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  return z ? new Date(Date.UTC(...parts)) : new Date(...parts);
}

const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/;

export function parseAllowedSigners(text: string, file: string): AllowedSigner[] {
  const out: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const where = `${file}:${i + 1}`;
    try {
      const t = tokens(line);
      const principals = (t.shift() ?? "").replace(/"/g, "").split(",").filter(Boolean);
      const entry: Partial<AllowedSigner> = { principals, source: where };
      if (t[0] && !KEY_TYPE.test(t[0])) {
        for (const opt of (t.shift() as string).match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
          const [name = "", ...rest] = opt.split("=");
          const value = rest.join("=").replace(/^"|"$/g, "");
          switch (name.toLowerCase()) {
            case "namespaces": entry.namespaces = value.split(",").map((s) => s.trim()); break;
            case "valid-after": entry.validAfter = parseSshTime(value); break;
            case "valid-before": entry.validBefore = parseSshTime(value); break;
            case "cert-authority": throw new Error("cert-authority (SSH certificates) is not supported; list the signers' keys");
            default: throw new Error(`unknown option "${name}"`);
          }
        }
      }
      const [type, b64] = t;
      if (!type || !b64 || !KEY_TYPE.test(type)) throw new Error("expected: principals [options] keytype base64-key [comment]");
      entry.key = parseSshPublicKey(Buffer.from(b64, "base64"));
      if (entry.key.type !== type) throw new Error(`key type ${type} does not match its key (${entry.key.type})`);
      out.push(entry as AllowedSigner);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
    }
  });
  return out;
}

/** Why `signer` may not sign in namespace "git" at `when`, or undefined when it may. */
export function allowedSignerProblem(signer: AllowedSigner, when: Date, namespace = "git"): string | undefined {
  if (signer.namespaces && !signer.namespaces.includes(namespace)) {
    return `allowed for namespaces "${signer.namespaces.join(",")}", not "${namespace}" (${signer.source})`;
  }
  if (signer.validAfter && when < signer.validAfter) return `not valid before ${signer.validAfter.toISOString()} (${signer.source})`;
  if (signer.validBefore && when >= signer.validBefore) return `expired: valid before ${signer.validBefore.toISOString()} only (${signer.source})`;
  return undefined;
}
