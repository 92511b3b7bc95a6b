/**
 * `seal decrypt` for SealedSecrets: each SealedSecret of the file becomes the Secret it describes, opened
 * with the RSA keys given as `--key` (what `kubeseal --recovery-unseal` does, with no cluster). Other
 * documents pass through. The output holds plaintext: stdout, or a 0600 file when asked for.
 */
import { isSealedSecret, unsealSealedSecret } from "../../crypto/sealed/index.js";
import { say, UsageError, writePrivateFileAtomic, writeStdout, type Io } from "./common.js";
import { loadRsaKeys } from "../../crypto/keyring/key-files.js";
import { docWhere, readManifests, renderManifests, type OutputDoc } from "../../manifests/round-trip.js";

export interface SealedDecryptOptions {
  key: string[];
  output?: string;
  /** Namespace for SealedSecrets without metadata.namespace (where they are applied). */
  namespace?: string;
}

/** True when the text holds a SealedSecret and no SOPS metadata (a cheap look before parsing). */
export function mentionsSealedSecret(text: string): boolean {
  return /\bSealedSecret\b/.test(text) && !/^sops:|"sops"\s*:/m.test(text);
}

export async function decryptSealed(subject: string, bytes: Buffer, opts: SealedDecryptOptions, io: Io): Promise<number> {
  const manifests = readManifests(bytes, subject);
  const count = manifests.docs.length;
  const keys = loadRsaKeys(opts.key, io);
  if (keys.length === 0) {
    throw new UsageError(
      `${subject} holds SealedSecrets: give the private key that sealed them with --key tls.key (or a backup of the controller's key ` +
        "Secrets: kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml)",
    );
  }
  const usedKeys = new Set<string>();
  const out: OutputDoc[] = manifests.docs.map((d) => {
    if (!isSealedSecret(d.value)) return { keep: d.source };
    const res = unsealSealedSecret(d.value, keys, docWhere(subject, d, count), { defaultNamespace: opts.namespace });
    res.keyIds.forEach((id) => usedKeys.add(id));
    return { value: res.object };
  });
  const text = renderManifests(out, manifests.syntax);
  const by = usedKeys.size ? ` with key ${[...usedKeys].join(", ")}` : "";
  if (opts.output) {
    // Plaintext on disk only because it was asked for explicitly; owner-only permissions.
    writePrivateFileAtomic(opts.output, text, io);
    say(io, `unsealed ${subject} → ${opts.output} (mode 0600)${by}`);
  } else {
    await writeStdout(io, text);
  }
  return 0;
}

/** Whether a parsed file holds any SealedSecret (after the cheap text look). */
export function holdsSealedSecret(bytes: Buffer, subject: string): boolean {
  const text = bytes.toString("utf8");
  if (!mentionsSealedSecret(text)) return false;
  try {
    return readManifests(bytes, subject).docs.some((d) => isSealedSecret(d.value));
  } catch {
    return false; // Not a manifest: leave the message to the SOPS path.
  }
}
