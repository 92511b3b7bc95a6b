/**
 * One SOPS file brought in line with the recipients its `.sops.yaml` rule names now (`seal updatekeys
 * --all`): the outcome says what changed or why it could not, so a walk over a repository can go on
 * past a file and summarise. Optionally a new data key too (after removing someone, the old data key is
 * what they may still hold).
 */
import type { AgeIdentity } from "../age.js";
import { SopsNoMatchingKeyError } from "./errors.js";
import { rotateSopsFile, updateSopsFileKeys } from "./file.js";
import { loadEncrypted, type SopsFormat } from "./format/index.js";
import { ageRecipients } from "./metadata.js";

export type RecipientSyncOutcome =
  | { outcome: "up-to-date"; recipients: string[] }
  | { outcome: "updated"; bytes?: Uint8Array; added: string[]; removed: string[]; rotated: boolean }
  /** No held key opens it; `retiredOnly` when every recipient it has is one the rule no longer names. */
  | { outcome: "unopenable"; recipients: string[]; retiredOnly: boolean; added: string[]; removed: string[] };

export interface RecipientSyncOptions {
  format: SopsFormat;
  file: string;
  /** The recipients the matching rule names (one key group). */
  target: readonly string[];
  /** Undefined for a dry run without keys: the plan only. */
  identities?: readonly AgeIdentity[];
  /** Compute the new file (false: dry run, nothing but the outcome). */
  write: boolean;
  /** Also replace the data key when a recipient is removed. */
  rotate?: boolean;
}

export async function syncRecipients(bytes: Uint8Array, opts: RecipientSyncOptions): Promise<RecipientSyncOutcome> {
  const enc = loadEncrypted(bytes, opts.format, { file: opts.file });
  const current = ageRecipients(enc.metadata);
  const added = opts.target.filter((r) => !current.includes(r));
  const removed = current.filter((r) => !opts.target.includes(r));
  if (added.length === 0 && removed.length === 0) return { outcome: "up-to-date", recipients: current };
  const unopenable = { outcome: "unopenable" as const, recipients: current, retiredOnly: current.every((r) => !opts.target.includes(r)), added, removed };
  if (!opts.identities) return { outcome: "updated", added, removed, rotated: false };
  try {
    const res = await updateSopsFileKeys(bytes, { format: opts.format, file: opts.file, identities: opts.identities, add: added, remove: removed });
    const rotate = opts.rotate === true && removed.length > 0;
    if (!opts.write) return { outcome: "updated", added, removed, rotated: rotate };
    const out = rotate ? await rotateSopsFile(res.bytes, { format: opts.format, file: opts.file, identities: opts.identities }) : res.bytes;
    return { outcome: "updated", bytes: out, added, removed, rotated: rotate };
  } catch (err) {
    if (err instanceof SopsNoMatchingKeyError) return unopenable;
    throw err;
  }
}
