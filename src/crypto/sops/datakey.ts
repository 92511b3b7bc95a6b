/**
 * The data key: unwrapped from the file's age stanzas with the held identities (combining Shamir shares
 * across key groups), and wrapped to recipients when writing.
 */
import { AgeKeyError, keyIdOf, wrapDataKey, type AgeIdentity } from "../age.js";
import { SopsMetadataError, SopsNoMatchingKeyError, SopsUnsupportedKeyError, type SopsLocation } from "./errors.js";
import { ageRecipients, type KeyGroup, type SopsMetadata } from "./metadata.js";
import { combineShares, splitSecret } from "./shamir.js";

export interface UnwrappedKey {
  dataKey: Uint8Array;
  /** Non-secret id of the identity that unwrapped it (the first group's, with Shamir). */
  keyId: string;
}

async function unwrapGroup(group: KeyGroup, identities: readonly AgeIdentity[], loc: SopsLocation): Promise<{ key: Uint8Array; keyId: string } | undefined> {
  // sops tries every enc with every identity; it does not match recipient strings (SSH/plugin differ).
  let broken: AgeKeyError | undefined;
  for (const stanza of group.age) {
    for (const id of identities) {
      try {
        const key = await id.unwrap(stanza.enc);
        if (key) return { key, keyId: keyIdOf(id) };
      } catch (err) {
        // A damaged stanza for one of our keys: try the others before giving up.
        if (!(err instanceof AgeKeyError)) throw err;
        broken ??= err;
      }
    }
  }
  if (broken) throw new SopsMetadataError(loc, `${broken.message}; restore the file from Git`);
  return undefined;
}

export async function unwrapDataKey(md: SopsMetadata, identities: readonly AgeIdentity[], loc: SopsLocation): Promise<UnwrappedKey> {
  const recipients = ageRecipients(md);
  if (recipients.length === 0) {
    const types = [...new Set(md.keyGroups.flatMap((g) => [...g.others.keys()]))].join(", ");
    throw new SopsUnsupportedKeyError(
      loc,
      `the data key is wrapped only with ${types || "unknown"} master keys; seal decrypts age only. ` +
        "Add an age recipient with `sops updatekeys` (or `sops -r --add-age`) using a key that can decrypt it.",
    );
  }
  const held = identities.map((i) => keyIdOf(i));
  if (md.keyGroups.length === 1) {
    const r = await unwrapGroup(md.keyGroups[0]!, identities, loc);
    if (!r) throw new SopsNoMatchingKeyError(loc, recipients, held);
    if (r.key.length !== 32) throw new SopsMetadataError(loc, `the unwrapped data key is ${r.key.length} bytes, expected 32`);
    return { dataKey: r.key, keyId: r.keyId };
  }
  const threshold = md.shamirThreshold === 0 ? md.keyGroups.length : md.shamirThreshold;
  const shares: Uint8Array[] = [];
  let keyId: string | undefined;
  for (const g of md.keyGroups) {
    const r = await unwrapGroup(g, identities, loc);
    if (!r) continue;
    shares.push(r.key);
    keyId ??= r.keyId;
  }
  if (shares.length < threshold || keyId === undefined) {
    throw new SopsNoMatchingKeyError(loc, recipients, held, ` The file uses ${md.keyGroups.length} key groups with a threshold of ${threshold}; your keys open ${shares.length}.`);
  }
  const dataKey = combineShares(shares);
  if (dataKey.length !== 32) throw new SopsMetadataError(loc, "the Shamir shares do not combine into a 32-byte data key");
  return { dataKey, keyId };
}

/** Wraps the data key for each group's recipients (Shamir-split across ≥2 groups). */
export async function wrapKeyGroups(dataKey: Uint8Array, groups: string[][], threshold: number): Promise<KeyGroup[]> {
  const parts = groups.length === 1 ? [dataKey] : splitSecret(dataKey, groups.length, threshold === 0 ? groups.length : threshold);
  return Promise.all(
    groups.map(async (recipients, i) => ({
      age: await Promise.all(recipients.map(async (recipient) => ({ recipient, enc: await wrapDataKey(parts[i]!, recipient) }))),
      others: new Map(),
    })),
  );
}
