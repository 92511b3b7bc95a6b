/**
 * The composition root of `sealsync sync`, `plan` and `run`: turns validated flags into the Git (or dir)
 * source, the keyring and the Kube client a reconcile needs. Lives where the commands start so that
 * config/ stays parsing and validation only.
 */
import { readFileSync } from "node:fs";
import { validateSyncFlags, type SyncFlags } from "../../config/sync-options.js";
import { Keyring } from "../../crypto/keyring.js";
import { KubeClient, defaultNamespace, loadKubeConfig } from "../../kube/client.js";
import { Discovery } from "../../kube/discovery.js";
import { decryptorsFor } from "../../reconcile/decryptors.js";
import type { SyncContext } from "../../reconcile/context.js";
import { DirSource } from "../../source/dir.js";
import path from "node:path";
import { GitSource, storeId } from "../../source/git.js";
import { GitHubAppCredentials } from "../../source/github-app.js";
import type { Source } from "../../source/revision.js";
import { RollbackGuard } from "../../source/rollback.js";
import { TrustedKeys } from "../../source/verify/trusted-keys.js";
import { CommitVerifier } from "../../source/verify/verifier.js";

/** Validates the flags (all of them, before any work) and builds the source, client and keyring. */
export async function buildSyncContext(flags: SyncFlags, opts: { watchKeys?: boolean } = {}): Promise<SyncContext> {
  validateSyncFlags(flags);
  const trust = flags.repo ? await buildTrust(flags, flags.repo) : {};
  const credentialProvider = flags.repo ? buildGitHubApp(flags, flags.repo) : undefined;
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const namespace = flags.namespace ?? defaultNamespace(kubeConfig);
  const source: Source = flags.repo
    ? new GitSource({
      url: flags.repo, ref: flags.ref, path: flags.path, dataDir: flags.dataDir,
      username: flags.gitUsername, passwordFile: flags.gitPasswordFile, maxFileBytes: flags.maxFileSize,
      maxFiles: flags.maxFiles, maxTotalBytes: flags.maxTotalSize, fetchTimeoutMs: flags.fetchTimeout,
      allowInsecureHttp: flags.allowInsecureHttp, ca: flags.gitCaFile ? readFileSync(flags.gitCaFile, "utf8") : undefined, ...trust, credentialProvider,
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
      keySecrets: flags.keySecret?.length ? flags.keySecret : undefined,
      serviceAccount: flags.serviceAccount, allowForeignSubjects: flags.allowForeignSubjects, leaseName: flags.leaseName,
      prune: flags.prune, allowEmpty: flags.allowEmpty, maxPrune: flags.maxPrune, forcePrune: flags.forcePrune,
      kustomize: { command: flags.kustomizeCommand, dataDir: flags.dataDir },
    },
    async close() {
      await keyring?.close();
      client.close();
    },
  };
}

/** --verify and rollback detection for a Git source; the trusted keys are loaded now, so a bad key file fails at start-up. */
async function buildTrust(flags: SyncFlags, repo: string): Promise<{ verifier?: CommitVerifier; rollback: RollbackGuard }> {
  const state = (name: string) => path.join(flags.dataDir, "git", `${storeId(repo)}.${name}.json`);
  const rollback = new RollbackGuard({ stateFile: state("applied"), refuse: flags.refuseRollback ?? false });
  if (!flags.verify || flags.verify === "off") return { rollback };
  const keys = new TrustedKeys({ dir: flags.verifyKeys, allowedSignersFile: flags.verifyAllowedSigners });
  await keys.current();
  return { rollback, verifier: new CommitVerifier({ mode: flags.verify, keys, since: flags.verifySince, stateFile: state("verified") }) };
}

/** --github-app-*: installation tokens instead of a static password. */
function buildGitHubApp(flags: SyncFlags, repo: string): (() => Promise<{ username: string; password: string }>) | undefined {
  if (!(flags.githubAppId || flags.githubAppSecretDir || flags.githubAppPrivateKeyFile || flags.githubAppInstallationId)) return undefined;
  const tokens = new GitHubAppCredentials({
    appId: flags.githubAppId, installationId: flags.githubAppInstallationId, installationOwner: flags.githubAppInstallationOwner,
    privateKeyFile: flags.githubAppPrivateKeyFile, secretDir: flags.githubAppSecretDir, apiUrl: flags.githubApiUrl, repoUrl: repo,
  });
  return () => tokens.credentials();
}
