/**
 * The composition root of `sealsync sync`, `plan` and `run`: turns validated flags into the Git (or dir)
 * source, the keyring and the Kube client a reconcile needs. Lives where the commands start so that
 * config/ stays parsing and validation only.
 */
import { validateSyncFlags, type SyncFlags } from "../../config/sync-options.js";
import { Keyring } from "../../crypto/keyring.js";
import { KubeClient, defaultNamespace, loadKubeConfig } from "../../kube/client.js";
import { Discovery } from "../../kube/discovery.js";
import { decryptorsFor } from "../../reconcile/decryptors.js";
import type { SyncContext } from "../../reconcile/context.js";
import { DirSource } from "../../source/dir.js";
import { GitSource } from "../../source/git.js";
import type { Source } from "../../source/revision.js";

/** Validates the flags (all of them, before any work) and builds the source, client and keyring. */
export async function buildSyncContext(flags: SyncFlags, opts: { watchKeys?: boolean } = {}): Promise<SyncContext> {
  validateSyncFlags(flags);
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const namespace = flags.namespace ?? defaultNamespace(kubeConfig);
  const source: Source = flags.repo
    ? new GitSource({
      url: flags.repo, ref: flags.ref, path: flags.path, dataDir: flags.dataDir,
      username: flags.gitUsername, passwordFile: flags.gitPasswordFile, maxFileBytes: flags.maxFileSize,
    })
    : new DirSource({ dir: flags.dir as string, path: flags.path, maxFileBytes: flags.maxFileSize });
  const keyring = flags.keys.length > 0 || flags.keysFromSecrets
    ? await Keyring.open({
      dirs: flags.keys,
      kube: flags.keysFromSecrets ? { kubeConfig, namespace } : undefined,
      watch: opts.watchKeys ?? false,
      resyncIntervalMs: opts.watchKeys ? undefined : 0,
    })
    : undefined;
  const client = new KubeClient(kubeConfig);
  return {
    source, client, namespace, keyring,
    reconcileOptions: {
      client, discovery: new Discovery(client), namespace,
      decryptors: decryptorsFor(keyring, namespace),
      applySetName: flags.applysetName,
      prune: flags.prune, allowEmpty: flags.allowEmpty, maxPrune: flags.maxPrune, forcePrune: flags.forcePrune,
      kustomize: { command: flags.kustomizeCommand, dataDir: flags.dataDir },
    },
    async close() {
      await keyring?.close();
      client.close();
    },
  };
}
