/**
 * The flags shared by `sealsync sync`, `plan` and `run`, each with its env twin on the same line
 * (SEALSYNC_<FLAG>), validated up front. What they build (source, keyring, client) is built where the
 * commands start: src/cli/sealsync/context.ts.
 * Secrets are never flags: the Git token comes from --git-password-file or $SEALSYNC_GIT_PASSWORD.
 */
import { Option, type Command } from "commander";
import { checkDirFlag, checkFileFlag, wholeNumberFlag } from "./flag-parsers.js";
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
  kustomizeCommand: string;
  output: "text" | "json";
}

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
    .addOption(opt("--kustomize-command <path>", "kustomize v5 binary (or kubectl) that builds a --path holding a kustomization.yaml", "KUSTOMIZE_COMMAND").default("kustomize"))
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
    if (!["https:", "http:"].includes(url.protocol)) throw new UsageError("invalid flag: --repo must be an https:// URL");
    if (url.username || url.password) {
      throw new UsageError("invalid flag: --repo must not contain credentials; use --git-username and --git-password-file");
    }
  }
  if (flags.dir) checkDirFlag("--dir", flags.dir);
  if (flags.gitPasswordFile) checkFileFlag("--git-password-file", flags.gitPasswordFile, { what: "the Git password or token" });
  if (flags.kubeconfig) checkFileFlag("--kubeconfig", flags.kubeconfig, { what: "a kubeconfig" });
}
