/**
 * The flags shared by `sealsync sync`, `plan` and `run`, each with its env twin on the same line
 * (SEALSYNC_<FLAG>), validated up front. What they build (source, keyring, client) is built where the
 * commands start: src/cli/sealsync/context.ts.
 * Secrets are never flags: the Git token comes from --git-password-file or $SEALSYNC_GIT_PASSWORD.
 */
import { Option, type Command } from "commander";
import { checkDirFlag, checkFileFlag, durationFlag, wholeNumberFlag } from "./flag-parsers.js";
import { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_FILES, DEFAULT_MAX_TOTAL_BYTES } from "./git-limits.js";
import { UsageError } from "./usage-error.js";

export const DEFAULT_DATA_DIR = "/var/lib/sealsync";

export interface SyncFlags {
  repo?: string;
  dir?: string;
  ref?: string;
  path: string;
  namespace?: string;
  kubeconfig?: string;
  keys: string[];
  keysFromSecrets?: boolean;
  dataDir: string;
  gitUsername?: string;
  gitPasswordFile?: string;
  prune: boolean;
  allowEmpty?: boolean;
  maxPrune?: number;
  forcePrune?: boolean;
  applysetName: string;
  maxFileSize: number;
  maxFiles: number;
  maxTotalSize: number;
  /** Milliseconds. */
  fetchTimeout: number;
  allowInsecureHttp?: boolean;
  gitCaFile?: string;
  kustomizeCommand: string;
  output: "text" | "json";
  keySecret?: string[];
  serviceAccount?: string;
  allowForeignSubjects?: boolean;
  /** `run` only: the Lease a revision may not define. */
  leaseName?: string;
  verify: VerifyModeFlag;
  verifyKeys?: string;
  verifyAllowedSigners?: string;
  verifySince?: string;
  refuseRollback?: boolean;
  githubAppId?: string;
  githubAppInstallationId?: string;
  githubAppInstallationOwner?: string;
  githubAppPrivateKeyFile?: string;
  githubAppSecretDir?: string;
  githubApiUrl?: string;
}

/** --verify's values (the source's CommitVerifier implements each but "off"). */
export const VERIFY_MODE_FLAGS = ["off", "head", "tag", "tag-and-head", "strict"] as const;
export type VerifyModeFlag = (typeof VERIFY_MODE_FLAGS)[number];

export { UsageError };

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function addSyncOptions(cmd: Command): Command {
  const opt = (flags: string, description: string, env: string) => new Option(flags, description).env(`SEALSYNC_${env}`);
  return cmd
    .addOption(opt("--repo <url>", "Git repository URL (HTTPS), without credentials", "REPO"))
    .addOption(opt("--dir <path>", "read manifests from a local directory instead of Git", "DIR"))
    .addOption(opt("--ref <ref>", "branch, tag or full commit SHA (default: the remote's HEAD)", "REF"))
    .addOption(opt("--path <subdir>", "folder of the repository holding the manifests", "PATH").default("."))
    .addOption(opt("-n, --namespace <ns>", "namespace to manage (default: the pod's, else the kubeconfig context's)", "NAMESPACE"))
    .addOption(opt("--kubeconfig <file>", "kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)", "KUBECONFIG"))
    .addOption(opt("--keys <dir>", "folder of private keys (the mounted key Secret); repeatable", "KEYS").argParser(collect).default([]))
    .addOption(opt("--keys-from-secrets", "also read key Secrets labelled sealsync.dev/key or sealedsecrets.bitnami.com/sealed-secrets-key in the namespace", "KEYS_FROM_SECRETS"))
    .addOption(opt("--data-dir <dir>", "where the Git object store (ciphertext only) and audit log live", "DATA_DIR").default(DEFAULT_DATA_DIR))
    .addOption(opt("--git-username <name>", "username for HTTPS Git", "GIT_USERNAME"))
    .addOption(opt("--git-password-file <file>", "file holding the Git password/token, re-read on every fetch (or set $SEALSYNC_GIT_PASSWORD)", "GIT_PASSWORD_FILE"))
    .addOption(opt("--no-prune", "never delete objects that left Git", "NO_PRUNE"))
    .addOption(opt("--allow-empty", "allow a revision with no objects to prune every managed object", "ALLOW_EMPTY"))
    .addOption(opt("--max-prune <n>", "most objects one sync may delete (default: half of the managed objects)", "MAX_PRUNE").argParser(wholeNumberFlag(0)))
    .addOption(opt("--force-prune", "ignore the --max-prune circuit breaker", "FORCE_PRUNE"))
    .addOption(opt("--applyset-name <name>", "name of the inventory Secret (the ApplySet parent)", "APPLYSET_NAME").default("sealsync"))
    .addOption(opt("--max-file-size <bytes>", "largest manifest file accepted", "MAX_FILE_SIZE").default(5 * 1024 * 1024).argParser(wholeNumberFlag(0)))
    .addOption(opt("--max-files <n>", "most files one Git fetch may bring (screened before unpacking)", "MAX_FILES").default(DEFAULT_MAX_FILES).argParser(wholeNumberFlag(0)))
    .addOption(opt("--max-total-size <bytes>", "most bytes one Git fetch may unpack to (screened before unpacking)", "MAX_TOTAL_SIZE").default(DEFAULT_MAX_TOTAL_BYTES).argParser(wholeNumberFlag(0)))
    .addOption(opt("--fetch-timeout <duration>", "deadline of one Git fetch, all its requests included", "FETCH_TIMEOUT").default(DEFAULT_FETCH_TIMEOUT_MS, "2m").argParser(durationFlag(1)))
    .addOption(opt("--allow-insecure-http", "accept an http:// --repo (credentials and manifests travel in clear text)", "ALLOW_INSECURE_HTTP"))
    .addOption(opt("--git-ca-file <file>", "also trust these CA certificates (PEM) for the Git server's HTTPS", "GIT_CA_FILE"))
    .addOption(opt("--kustomize-command <path>", "kustomize v5 binary (or kubectl) that builds a --path holding a kustomization.yaml", "KUSTOMIZE_COMMAND").default("kustomize"))
    .addOption(opt("--key-secret <name>", "a Secret holding keys, which a revision may never create, change, mount or read (repeatable; default sealsync-keys)", "KEY_SECRET").argParser(collect))
    .addOption(opt("--service-account <name>", "sealsync's own ServiceAccount, which no workload from Git may use (default: asked of the API server)", "SERVICE_ACCOUNT"))
    .addOption(opt("--allow-foreign-subjects", "let RoleBindings from Git grant rights to subjects outside the namespace", "ALLOW_FOREIGN_SUBJECTS"))
    .addOption(opt("--verify <mode>", "require signed commits/tags: off, head, tag, tag-and-head or strict (every commit since the last verified one)", "VERIFY").choices(VERIFY_MODE_FLAGS).default("off"))
    .addOption(opt("--verify-keys <dir>", "folder of trusted signing keys: *.asc (OpenPGP), *.pub/*.sshpub (SSH); re-read when it changes", "VERIFY_KEYS"))
    .addOption(opt("--verify-allowed-signers <file>", "git allowed_signers file of trusted SSH signing keys (namespaces, valid-after/valid-before honoured)", "VERIFY_ALLOWED_SIGNERS"))
    .addOption(opt("--verify-since <sha>", "--verify strict: the reviewed commit to start from when nothing was verified yet", "VERIFY_SINCE"))
    .addOption(opt("--refuse-rollback", "refuse a commit that does not descend from the last applied one (default: apply it with a warning)", "REFUSE_ROLLBACK"))
    .addOption(opt("--github-app-id <id>", "authenticate to GitHub as this GitHub App (installation token, contents:read of --repo)", "GITHUB_APP_ID"))
    .addOption(opt("--github-app-installation-id <id>", "the app's installation (default: looked up for --repo)", "GITHUB_APP_INSTALLATION_ID"))
    .addOption(opt("--github-app-installation-owner <owner>", "look the installation up for this account instead of the repository's owner", "GITHUB_APP_INSTALLATION_OWNER"))
    .addOption(opt("--github-app-private-key-file <file>", "the app's private key (PEM), re-read at each token exchange", "GITHUB_APP_PRIVATE_KEY_FILE"))
    .addOption(opt("--github-app-secret-dir <dir>", "a mounted Flux GitHub App Secret (githubAppID, githubAppInstallationID, githubAppPrivateKey, githubAppBaseURL)", "GITHUB_APP_SECRET_DIR"))
    .addOption(opt("--github-api-url <url>", "GitHub API base URL (Enterprise: https://HOST/api/v3)", "GITHUB_API_URL"))
    .addOption(opt("-o, --output <format>", "text or json", "OUTPUT").choices(["text", "json"]).default("text"));
}

/** Checks what the flag parsers cannot check alone (combinations, the repository URL, files), before any work. */
export function validateSyncFlags(flags: SyncFlags): void {
  if (!flags.repo === !flags.dir) throw new UsageError("invalid flags: give exactly one of --repo URL or --dir PATH");
  if (flags.repo) {
    let url: URL;
    try {
      url = new URL(flags.repo);
    } catch {
      throw new UsageError(`invalid flag: --repo ${JSON.stringify(flags.repo)} is not a URL (e.g. https://git.example.com/team/app.git)`);
    }
    if (url.protocol === "http:" && !flags.allowInsecureHttp) {
      throw new UsageError("invalid flag: --repo is plain http://; use https:// (or --allow-insecure-http on a trusted network)");
    }
    if (!["https:", "http:"].includes(url.protocol)) throw new UsageError("invalid flag: --repo must be an https:// URL");
    if (url.username || url.password) {
      throw new UsageError("invalid flag: --repo must not contain credentials; use --git-username and --git-password-file");
    }
  }
  if (flags.dir) checkDirFlag("--dir", flags.dir);
  if (flags.gitPasswordFile) checkFileFlag("--git-password-file", flags.gitPasswordFile, { what: "the Git password or token" });
  if (flags.gitCaFile) checkFileFlag("--git-ca-file", flags.gitCaFile, { nonEmpty: true, what: "PEM CA certificates" });
  if (flags.kubeconfig) checkFileFlag("--kubeconfig", flags.kubeconfig, { what: "a kubeconfig" });
  validateTrustFlags(flags);
}

function validateTrustFlags(flags: SyncFlags): void {
  const mode = flags.verify ?? "off";
  if (!flags.repo && (mode !== "off" || flags.refuseRollback)) {
    throw new UsageError("invalid flags: --verify and --refuse-rollback need --repo (a directory has no commits to check)");
  }
  if (flags.verifySince && !/^[0-9a-f]{40}$/.test(flags.verifySince)) throw new UsageError("invalid flag: --verify-since must be a full 40-character commit SHA");
  if (mode === "off" && (flags.verifyKeys || flags.verifyAllowedSigners || flags.verifySince)) {
    throw new UsageError("invalid flags: --verify-keys, --verify-allowed-signers and --verify-since need --verify MODE");
  }
  if (mode !== "off" && !flags.verifyKeys && !flags.verifyAllowedSigners) {
    throw new UsageError(`invalid flags: --verify ${mode} needs trusted keys: --verify-keys DIR and/or --verify-allowed-signers FILE`);
  }
  if (flags.verifyKeys) checkDirFlag("--verify-keys", flags.verifyKeys);
  if (flags.verifyAllowedSigners) checkFileFlag("--verify-allowed-signers", flags.verifyAllowedSigners, { what: "a git allowed_signers file" });
  if (flags.githubAppPrivateKeyFile) checkFileFlag("--github-app-private-key-file", flags.githubAppPrivateKeyFile, { what: "the GitHub App's private key" });
  if (flags.githubAppSecretDir) checkDirFlag("--github-app-secret-dir", flags.githubAppSecretDir);
  const githubApp = flags.githubAppId || flags.githubAppSecretDir || flags.githubAppPrivateKeyFile || flags.githubAppInstallationId;
  if (githubApp && !flags.repo) throw new UsageError("invalid flags: --github-app-* need --repo");
  if (githubApp && (flags.gitUsername || flags.gitPasswordFile)) {
    throw new UsageError("invalid flags: use either --github-app-* or --git-username/--git-password-file, not both");
  }
}
