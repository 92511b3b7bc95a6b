/**
 * Commit and tag signature verification (--verify MODE), run on the fetched objects before any file of
 * the commit is read:
 *   head          the commit the ref points at carries a good signature by a trusted key
 *   tag           the annotated tag --ref names does (its target must be the commit)
 *   tag-and-head  both
 *   strict        every commit from the last verified one (kept under --data-dir) or --verify-since
 *                 to the target, both parents of merges included; the shallow store is deepened as needed
 * A trusted key is looked up from the key embedded in (SSH) or named by (OpenPGP) the signature before
 * the signature is checked. Any failure throws a VerificationError naming the object, the signer's
 * fingerprint when known, and why; the revision is then refused and the last good one stays.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CommitReader, HistoryError, walkRange, type ObjectStore } from "../history.js";
import { SourceError } from "../revision.js";
import { isPgpSignature, verifyPgp } from "./openpgp.js";
import { parseCommit, parseTag, type SignedObject } from "./signed-object.js";
import { isSshSignature, parseSshSignature, verifySshSignature } from "./sshsig.js";
import { sshKeyTrust, type TrustedKeys, type TrustedSet } from "./trusted-keys.js";

export const VERIFY_MODES = ["off", "head", "tag", "tag-and-head", "strict"] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];

export interface Verification {
  mode: Exclude<VerifyMode, "off">;
  /** Fingerprints of the signers of the target (tag first in tag modes), comma-separated. */
  signer: string;
  /** Commits whose signatures were checked (strict: the whole new range). */
  commits: number;
  /** A trusted-keys reload that failed (the previous keys were used). */
  warnings?: string[];
}

export class VerificationError extends SourceError {
  /** The --verify mode that refused it (set by CommitVerifier.verify). */
  mode?: Exclude<VerifyMode, "off">;
  constructor(readonly object: string, readonly reason: string, readonly fingerprint?: string) {
    super(`signature verification failed for ${object}${fingerprint ? ` (signer ${fingerprint})` : ""}: ${reason}`);
    this.name = "VerificationError";
  }
}

export interface VerifierOptions {
  mode: Exclude<VerifyMode, "off">;
  keys: TrustedKeys;
  /** strict: where to start when nothing was verified yet. */
  since?: string;
  /** strict: the file remembering the last verified commit. */
  stateFile: string;
}

export interface VerifyTarget {
  commit: string;
  /** The annotated tag object, when --ref is one. */
  tag?: string;
  ref: string;
}

type Outcome = { ok: true; fingerprint: string } | { ok: false; fingerprint?: string; reason: string };

async function checkSignature(obj: SignedObject, set: TrustedSet): Promise<Outcome> {
  const sig = obj.signature;
  if (!sig) return { ok: false, reason: "it is not signed" };
  const when = new Date((obj.time ?? 0) * 1000);
  if (isSshSignature(sig)) {
    let parsed;
    try {
      parsed = parseSshSignature(sig);
    } catch (err) {
      return { ok: false, reason: `malformed SSH signature: ${(err as Error).message}` };
    }
    const fingerprint = parsed.publicKey.fingerprint;
    const trust = sshKeyTrust(set, parsed.publicKey, when);
    if (!trust.trusted) return { ok: false, fingerprint, reason: trust.reason };
    try {
      if (verifySshSignature(parsed, obj.payload)) return { ok: true, fingerprint };
      return { ok: false, fingerprint, reason: "the signature does not match the content (tampered payload?)" };
    } catch (err) {
      return { ok: false, fingerprint, reason: (err as Error).message };
    }
  }
  if (isPgpSignature(sig)) return verifyPgp(sig, obj.payload, set.pgp);
  return { ok: false, reason: "unknown signature format (expected an OpenPGP or SSH signature)" };
}

export class CommitVerifier {
  constructor(private readonly opts: VerifierOptions) {}

  get mode(): VerifierOptions["mode"] {
    return this.opts.mode;
  }

  async verify(store: ObjectStore, target: VerifyTarget): Promise<Verification> {
    try {
      return await this.#verify(store, target);
    } catch (err) {
      if (err instanceof VerificationError) err.mode = this.opts.mode;
      throw err;
    }
  }

  async #verify(store: ObjectStore, target: VerifyTarget): Promise<Verification> {
    const warnings: string[] = [];
    const set = await this.opts.keys.current((err) => warnings.push(`trusted keys not reloaded, the previous ones stay in force: ${err.message}`));
    const { mode } = this.opts;
    const signers: string[] = [];
    const read = async (oid: string, type: "commit" | "tag") => {
      const raw = await store.read(oid);
      if (!raw) throw new VerificationError(`${type} ${oid}`, "the object is not in the fetched data");
      if (raw.type !== type) throw new VerificationError(`${type} ${oid}`, `it is a ${raw.type}`);
      return type === "commit" ? parseCommit(raw.object) : parseTag(raw.object);
    };
    const check = async (oid: string, type: "commit" | "tag", label = `${type} ${oid}`) => {
      const outcome = await checkSignature(await read(oid, type), set);
      if (!outcome.ok) throw new VerificationError(label, outcome.reason, outcome.fingerprint);
      return outcome.fingerprint;
    };

    if (mode === "tag" || mode === "tag-and-head") {
      if (!target.tag) throw new VerificationError(`ref ${target.ref}`, `--verify ${mode} needs --ref to name an annotated tag (a lightweight tag or branch has no tag signature)`);
      const tag = await read(target.tag, "tag");
      if (tag.object !== target.commit) throw new VerificationError(`tag ${target.ref} (${target.tag})`, `it points at ${tag.object ?? "nothing"}, not at commit ${target.commit}`);
      signers.push(await check(target.tag, "tag", `tag ${target.ref} (${target.tag})`));
    }
    let commits = 0;
    if (mode === "head" || mode === "tag-and-head") {
      signers.push(await check(target.commit, "commit"));
      commits = 1;
    }
    if (mode === "strict") {
      const anchor = this.#lastVerified() ?? this.opts.since;
      let range: string[];
      try {
        range = (await walkRange(new CommitReader(store), target.commit, anchor)).commits;
      } catch (err) {
        if (err instanceof HistoryError) throw new VerificationError(`commit ${target.commit}`, `cannot walk the history: ${err.message}`);
        throw err;
      }
      for (const oid of range) {
        try {
          const fp = await check(oid, "commit");
          if (oid === target.commit) signers.push(fp);
        } catch (err) {
          if (!(err instanceof VerificationError) || oid === target.commit) throw err;
          const hint = anchor ? "" : " (strict mode with no verified commit yet checks the whole history: start from a reviewed commit with --verify-since SHA)";
          throw new VerificationError(`commit ${oid} (in the history of ${target.commit})`, `${err.reason}${hint}`, err.fingerprint);
        }
      }
      commits = range.length;
      if (!signers.length) signers.push("(already verified)");
      this.#remember(target.commit);
    }
    return { mode, signer: [...new Set(signers)].join(","), commits, ...(warnings.length ? { warnings } : {}) };
  }

  #lastVerified(): string | undefined {
    try {
      const state = JSON.parse(readFileSync(this.opts.stateFile, "utf8")) as { lastVerified?: unknown };
      return typeof state.lastVerified === "string" && /^[0-9a-f]{40}$/.test(state.lastVerified) ? state.lastVerified : undefined;
    } catch {
      return undefined;
    }
  }

  #remember(sha: string): void {
    mkdirSync(path.dirname(this.opts.stateFile), { recursive: true });
    const tmp = `${this.opts.stateFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ lastVerified: sha })}\n`);
    renameSync(tmp, this.opts.stateFile);
  }
}
