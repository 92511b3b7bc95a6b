/**
 * Keys from labelled Secrets in one namespace, read through the API (needs get/list on secrets there).
 * A Secret counts while its label is `active` — sealsync's `sealsync.dev/key` or the Sealed Secrets
 * controller's `sealedsecrets.bitnami.com/sealed-secrets-key` — so relabelling a key (e.g. `compromised`)
 * retires it, exactly as with the controller.
 */
import { KubeApiError, KubeClient, type KubeConfig } from "../../kube/client.js";
import { decodeStdBase64 } from "../sealed/base64.js";
import { KEY_LABEL_ACTIVE, SEALED_SECRETS_KEY_LABEL, SEALSYNC_KEY_LABEL, type KeyLabelFlavour } from "../sealed/key-secret.js";
import { KeyringLoadError } from "./errors.js";
import { keysFromNamedTexts, type KeyringKey } from "./entries.js";

export interface KubeKeySource {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Which labels select key Secrets; both by default. */
  labels?: KeyLabelFlavour[];
}

const LABEL_OF: Record<KeyLabelFlavour, string> = { "sealsync": SEALSYNC_KEY_LABEL, "sealed-secrets": SEALED_SECRETS_KEY_LABEL };

interface KeySecret {
  metadata?: { name?: string; creationTimestamp?: string };
  data?: Record<string, string>;
}

/** Throws when the Secrets cannot be listed; one that holds no usable key goes to `problems` (if given). */
export async function keysFromSecrets(source: KubeKeySource, problems?: KeyringLoadError[]): Promise<KeyringKey[]> {
  const client = new KubeClient(source.kubeConfig);
  const secrets = new Map<string, KeySecret>();
  for (const flavour of source.labels ?? ["sealsync", "sealed-secrets"]) {
    const labelSelector = `${LABEL_OF[flavour]}=${KEY_LABEL_ACTIVE}`;
    try {
      const { body: list } = await client.request<{ items: KeySecret[] }>("GET",
        `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/secrets`, { query: { labelSelector } });
      for (const s of list.items) secrets.set(s.metadata?.name ?? "", s); // A Secret with both labels counts once.
    } catch (err) {
      const code = err instanceof KubeApiError ? err.status : undefined;
      const hint = code === 403 ? "forbidden: grant get and list on secrets in this namespace to the sidecar's ServiceAccount"
        : `listing Secrets labelled ${labelSelector} failed${code ? ` (HTTP ${code})` : ""}`;
      throw new KeyringLoadError(`namespace ${source.namespace}`, hint, { cause: err });
    } finally {
      if (flavour === (source.labels ?? ["sealsync", "sealed-secrets"]).at(-1)) client.close();
    }
  }
  const keys: KeyringKey[] = [];
  for (const [name, secret] of [...secrets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const where = `secret ${source.namespace}/${name}`;
    const texts = new Map<string, string>();
    for (const [field, value] of Object.entries(secret.data ?? {})) {
      const decoded = decodeStdBase64(value);
      if ("problem" in decoded) {
        const problem = new KeyringLoadError(`${where}/${field}`, `data is not valid base64: ${decoded.problem}`);
        if (!problems) throw problem;
        problems.push(problem);
        continue;
      }
      texts.set(field, decoded.bytes.toString("utf8"));
    }
    const created = secret.metadata?.creationTimestamp;
    keys.push(...keysFromNamedTexts(texts, where, created ? new Date(created) : undefined, problems));
  }
  return keys;
}
