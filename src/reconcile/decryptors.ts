/** The decryptors of a reconcile, over the keyring: SOPS (age identities) and SealedSecrets (RSA keys). */
import type { Keyring } from "../crypto/keyring.js";
import { decryptSopsFile, formatForPath, isSopsDocument } from "../crypto/sops/index.js";
import { isSealedSecret, unsealSealedSecret } from "../crypto/sealed/index.js";
import type { DocumentDecryptor } from "../manifests/decrypt.js";
import { ManifestError } from "../manifests/errors.js";
import { readManifestValues } from "../manifests/parse.js";

const NO_KEYS = "no keys are configured to decrypt it: mount the key Secret and pass --keys DIR (or --keys-from-secrets)";

export function decryptorsFor(keyring: Keyring | undefined, namespace: string): DocumentDecryptor[] {
  return [
    {
      format: "sops",
      matches: isSopsDocument,
      /**
       * sops reads the file by its own rules (go-yaml v3) for the MAC; the object applied is then what
       * kubectl reads from the plaintext `sops -d` would print (YAML 1.1), never a third reading.
       */
      async decryptFile(docs, file) {
        const identities = [...(keyring?.ageIdentities() ?? [])];
        if (identities.length === 0) throw new Error(`SOPS-encrypted, but ${NO_KEYS}`);
        const { plaintext, keyId } = await decryptSopsFile(file.bytes, { format: formatForPath(file.path), file: file.path, identities });
        let values: { value: Record<string, unknown> }[];
        try {
          values = readManifestValues(plaintext.revealBytes(), file.path);
        } catch (err) {
          if (err instanceof ManifestError) throw new Error(`the decrypted document ${err.ref.index}: ${err.reason}`, { cause: err });
          throw err;
        }
        if (values.length !== docs.length) {
          throw new Error(`decrypted, the file holds ${values.length} documents where it holds ${docs.length} encrypted ones; ` +
            "encrypt every document of a multi-document file together (sops encrypt), or split the file");
        }
        if (values.some(({ value }) => "items" in value)) {
          throw new Error("a SOPS-encrypted list (a document with items) is not supported: encrypt its items as separate documents");
        }
        return values.map(({ value }) => ({ object: value, keyId }));
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
