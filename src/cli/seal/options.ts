/** Option definitions several commands share, so their spelling and help text stay identical. */
import { Option, type Command } from "commander";
import { parseFormatName, type SopsFormat } from "../../crypto/sops/index.js";
import { collect, collectList, UsageError } from "./common.js";

export function parseFormatOption(v: string): SopsFormat {
  try {
    return parseFormatName(v);
  } catch (err) {
    throw new UsageError(`--input-type: ${(err as Error).message}`);
  }
}

export function addInputType(cmd: Command): Command {
  return cmd.addOption(new Option("--input-type <format>", "file format instead of guessing from the extension").choices(["yaml", "json", "dotenv", "binary"]));
}

export function addKeyOption(cmd: Command, kinds: "sops" | "both" = "sops"): Command {
  const help = kinds === "both"
    ? "key file (repeatable): an age key file, or an RSA tls.key (or a backup of key Secrets) for SealedSecrets; " +
      "SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the sops default key file are read too"
    : "age key file (repeatable); SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the sops default key file are read too";
  return cmd.option("--key <file>", help, collect, [] as string[]);
}

/** What a command writes: a SOPS file (age) or a SealedSecret. */
export type OutputFormat = "sops" | "sealed";

export function addFormatOption(cmd: Command): Command {
  return cmd.addOption(
    new Option("--format <format>", "sops (age) or sealed (a SealedSecret); default sops, or sealed when --cert or --raw is given").choices(["sops", "sealed"]),
  );
}

/** The --format given, else sealed when a sealing-only flag says so (as with kubeseal), else sops. */
export function impliedFormat(flags: { format?: OutputFormat; cert?: string; raw?: boolean }): OutputFormat {
  return flags.format ?? (flags.cert !== undefined || flags.raw ? "sealed" : "sops");
}

/** `--cert` and `--scope`, shared by every command that seals. */
export function addSealedOptions(cmd: Command): Command {
  return cmd
    .option("--cert <file|url>", "sealed: the cluster's certificate, a file or an http(s) URL (e.g. the sidecar's /v1/cert.pem); also SEALED_SECRETS_CERT")
    .addOption(new Option("--scope <scope>", "sealed: what the data is bound to (default: the Secret's annotations, else strict)").choices(["strict", "namespace-wide", "cluster-wide"]));
}

/** Refuses flags that do not apply to the chosen mode, naming them (a silently ignored flag hides a mistake). */
export function rejectFlags(opts: object, mode: string, flags: Record<string, string>): void {
  const values = opts as Record<string, unknown>;
  const given = Object.entries(flags)
    .filter(([field]) => {
      const v = values[field];
      return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
    })
    .map(([, flag]) => flag);
  if (given.length > 0) throw new UsageError(`${given.join(", ")} ${given.length === 1 ? "does" : "do"} not apply to ${mode}`);
}

export function addRecipientOptions(cmd: Command): Command {
  return cmd
    .option("--age <recipient>", "age recipient (repeatable, or comma-separated); default: SOPS_AGE_RECIPIENTS, then .sops.yaml creation_rules", collectList, [] as string[])
    .option("--config <file>", "use this .sops.yaml instead of the nearest one (also SOPS_CONFIG)")
    .option("--encrypted-regex <re>", "encrypt only values under keys matching this regex (default for kind: Secret: ^(data|stringData)$)")
    .option("--unencrypted-regex <re>", "leave values under keys matching this regex in clear text")
    .option("--encrypted-suffix <s>", "encrypt only values under keys ending with this suffix")
    .option("--unencrypted-suffix <s>", "leave values under keys ending with this suffix in clear text (default: _unencrypted)")
    .option("--encrypted-comment-regex <re>", "encrypt only values after a comment matching this regex")
    .option("--unencrypted-comment-regex <re>", "leave values after a comment matching this regex in clear text")
    .option("--mac-only-encrypted", "compute the MAC over encrypted values only, so clear-text values may be edited later");
}
