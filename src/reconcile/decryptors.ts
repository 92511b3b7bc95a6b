/** The decryptors of a reconcile, over the keyring: SOPS (age identities) and SealedSecrets (RSA keys). */
import type { Keyring } from "../crypto/keyring.js";
import { decryptSopsDocument, decryptSopsDocuments, decryptSopsFile, isSopsDocument } from "../crypto/sops/index.js";
import { isSealedSecret, unsealSealedSecret } from "../crypto/sealed/index.js";
import type { DocumentDecryptor } from "../manifests/decrypt.js";

const NO_KEYS = "no keys are configured to decrypt it: mount the key Secret and pass --keys DIR (or --keys-from-secrets)";

export function decryptorsFor(keyring: Keyring | undefined, namespace: string): DocumentDecryptor[] {
  return [
    {
      format: "sops",
      matches: isSopsDocument,
      async decryptFile(docs) {
        const identities = [...(keyring?.ageIdentities() ?? [])];
        if (identities.length === 0) throw new Error(`SOPS-encrypted, but ${NO_KEYS}`);
        if (docs.length === 1) {
          const [d] = docs as [(typeof docs)[number]];
          return [await decryptSopsDocument(d.body, identities, { file: d.ref.file, index: d.ref.index })];
        }
        const { objects, keyId } = await decryptSopsDocuments(docs.map((d) => d.body), identities, { file: docs[0]?.ref.file ?? "" });
        return objects.map((object) => ({ object, keyId }));
      },
      async decryptBytes(bytes, format, file) {
        const identities = [...(keyring?.ageIdentities() ?? [])];
        if (identities.length === 0) throw new Error(`SOPS-encrypted, but ${NO_KEYS}`);
        const out = await decryptSopsFile(bytes, { format, file, identities });
        return { plaintext: out.plaintext.revealBytes(), keyId: out.keyId };
      },
    },
    {
      format: "sealed",
      matches: isSealedSecret,
      async decryptFile(docs) {
        const keys = keyring?.rsaKeys() ?? [];
        if (keys.length === 0) throw new Error(`a SealedSecret, but ${NO_KEYS}`);
        return docs.map((d) => {
          const { object, keyId } = unsealSealedSecret(d.body, keys, { file: d.ref.file, index: d.ref.index }, { defaultNamespace: namespace });
          return { object: object as unknown as Record<string, unknown>, keyId };
        });
      },
    },
  ];
}
