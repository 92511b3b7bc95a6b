/**
 * The naming contract shared by a key directory (a mounted Secret) and a key Secret's data: the same
 * names mean the same keys in both, so a Secret can be mounted or read through the API alike.
 *
 *   keys.txt, *.agekey   age identities, as age-keygen writes them (comments allowed)
 *   <base>.key           an RSA private key (PKCS#1 or PKCS#8 PEM), e.g. tls.key
 *   <base>.crt           its certificate (optional; orders keys by NotBefore and is what gets published)
 *   .*                   ignored (the kubelet's ..data and ..<timestamp> entries)
 *   anything else        ignored
 */
import { AgeKeyError, keyIdOf, parseAgeIdentities, type AgeIdentity } from "../age.js";
import { SealedSecretError } from "../sealed/errors.js";
import { loadRsaKey, type RsaKey } from "../sealed/rsa-key.js";
import { KeyringLoadError } from "./errors.js";

export interface AgeKey {
  readonly kind: "age";
  /** The recipient (or a fingerprint of a post-quantum one): public, safe to log. */
  readonly id: string;
  readonly identity: AgeIdentity;
  readonly source: string;
}

export type KeyringKey = RsaKey | AgeKey;

export function isAgeKeyName(name: string): boolean {
  return name === "keys.txt" || name.endsWith(".agekey");
}

/**
 * Keys from a set of named texts (files of a directory, or data of a Secret). `source` prefixes each name in
 * messages; `fallbackDate` orders RSA keys that come without a certificate (a Secret's creationTimestamp).
 * With `problems`, an entry that is not a usable key is recorded there and skipped; without, it throws.
 */
export function keysFromNamedTexts(texts: ReadonlyMap<string, string>, source: string, fallbackDate?: Date,
  problems?: KeyringLoadError[]): KeyringKey[] {
  const keys: KeyringKey[] = [];
  for (const name of [...texts.keys()].sort()) {
    if (name.startsWith(".")) continue;
    const text = texts.get(name)!;
    const where = `${source}/${name}`;
    try {
      if (isAgeKeyName(name)) {
        for (const identity of parseAgeIdentities(text, where)) keys.push({ kind: "age", id: keyIdOf(identity), identity, source: where });
      } else if (name.endsWith(".key")) {
        if (text.includes("AGE-SECRET-KEY-")) {
          throw new KeyringLoadError(where, "holds an age identity; name age key files *.agekey or keys.txt (*.key is for RSA PEM keys)");
        }
        keys.push(loadRsaKey(text, where, texts.get(`${name.slice(0, -4)}.crt`), fallbackDate));
      }
    } catch (err) {
      // Key-parsing errors already name the file and say what is wrong; wrap them so callers see one type.
      const message = err instanceof SealedSecretError || err instanceof AgeKeyError ? err.message : "cannot be read as a key";
      const problem = err instanceof KeyringLoadError ? err
        : new KeyringLoadError(where, message.startsWith(where) ? message.slice(where.length).replace(/^[:\s]+/, "") : message, { cause: err });
      if (!problems) throw problem;
      problems.push(problem);
    }
  }
  return keys;
}
