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

export function addKeyOption(cmd: Command): Command {
  return cmd.option(
    "--key <file>",
    "age key file (repeatable); SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the sops default key file are read too",
    collect,
    [] as string[],
  );
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
