/**
 * Keys from labelled Secrets in one namespace, read through the API (needs get/list on secrets there).
 * A Secret counts while its label is `active` — sealsync's `sealsync.dev/key` or the Sealed Secrets
 * controller's `sealedsecrets.bitnami.com/sealed-secrets-key` — so relabelling a key (e.g. `compromised`)
 * retires it, exactly as with the controller.
 */
import { ApiException, CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
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

export async function keysFromSecrets(source: KubeKeySource): Promise<KeyringKey[]> {
  const core = source.kubeConfig.makeApiClient(CoreV1Api);
  const secrets = new Map<string, V1Secret>();
  for (const flavour of source.labels ?? ["sealsync", "sealed-secrets"]) {
    const labelSelector = `${LABEL_OF[flavour]}=${KEY_LABEL_ACTIVE}`;
    try {
      const list = await core.listNamespacedSecret({ namespace: source.namespace, labelSelector });
      for (const s of list.items) secrets.set(s.metadata?.name ?? "", s); // A Secret with both labels counts once.
    } catch (err) {
      const code = err instanceof ApiException ? err.code : undefined;
      const hint = code === 403 ? "forbidden: grant get and list on secrets in this namespace to the sidecar's ServiceAccount"
        : `listing Secrets labelled ${labelSelector} failed${code ? ` (HTTP ${code})` : ""}`;
      throw new KeyringLoadError(`namespace ${source.namespace}`, hint, { cause: err });
    }
  }
  const keys: KeyringKey[] = [];
  for (const [name, secret] of [...secrets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const where = `secret ${source.namespace}/${name}`;
    const texts = new Map<string, string>();
    for (const [field, value] of Object.entries(secret.data ?? {})) {
      const decoded = decodeStdBase64(value);
      if ("problem" in decoded) throw new KeyringLoadError(`${where}/${field}`, `data is not valid base64: ${decoded.problem}`);
      texts.set(field, decoded.bytes.toString("utf8"));
    }
    const created = secret.metadata?.creationTimestamp;
    keys.push(...keysFromNamedTexts(texts, where, created ? new Date(created) : undefined));
  }
  return keys;
}
