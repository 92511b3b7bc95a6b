/**
 * Who to encrypt to, as sops decides: `--age` (or SOPS_AGE_RECIPIENTS) wins outright; otherwise the first
 * matching creation rule of `--config`, SOPS_CONFIG or the nearest `.sops.yaml`. Selector flags override
 * the rule's selector.
 */
import path from "node:path";
import { findSopsConfig, loadSopsConfig, matchCreationRule } from "./config.js";
import { UsageError } from "../../config/usage-error.js";
import type { Io } from "../../util/io.js";
import { parseAgeRecipient } from "../age.js";
import type { Selectors } from "./metadata.js";

export interface SelectorFlags {
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  encryptedCommentRegex?: string;
  unencryptedCommentRegex?: string;
  macOnlyEncrypted?: boolean;
}

export interface RecipientFlags extends SelectorFlags {
  age?: string[];
  config?: string;
}

export interface EncryptionPlan {
  keyGroups: string[][];
  shamirThreshold: number;
  selectors?: Selectors;
  macOnlyEncrypted: boolean;
  /** Where the recipients came from, for messages. */
  source: string;
}

export function selectorFlags(flags: SelectorFlags): Selectors | undefined {
  const s: Selectors = {};
  if (flags.encryptedRegex !== undefined) s.encryptedRegex = flags.encryptedRegex;
  if (flags.unencryptedRegex !== undefined) s.unencryptedRegex = flags.unencryptedRegex;
  if (flags.encryptedSuffix !== undefined) s.encryptedSuffix = flags.encryptedSuffix;
  if (flags.unencryptedSuffix !== undefined) s.unencryptedSuffix = flags.unencryptedSuffix;
  if (flags.encryptedCommentRegex !== undefined) s.encryptedCommentRegex = flags.encryptedCommentRegex;
  if (flags.unencryptedCommentRegex !== undefined) s.unencryptedCommentRegex = flags.unencryptedCommentRegex;
  const n = Object.keys(s).length;
  if (n > 1) throw new UsageError("use at most one of --encrypted-regex, --unencrypted-regex, --encrypted-suffix, --unencrypted-suffix, --encrypted-comment-regex, --unencrypted-comment-regex");
  return n === 1 ? s : undefined;
}

/** `file` is the path used for creation_rules matching (absolute or relative to cwd). */
export function planEncryption(flags: RecipientFlags, file: string, io: Io): EncryptionPlan {
  const selectors = selectorFlags(flags);
  const fromFlags = flags.age && flags.age.length > 0 ? flags.age : io.env.SOPS_AGE_RECIPIENTS ? io.env.SOPS_AGE_RECIPIENTS.split(",") : undefined;
  if (fromFlags) {
    const recipients = [...new Set(fromFlags.map((r) => r.trim()).filter((r) => r !== "").map(parseAgeRecipient))];
    return {
      keyGroups: [recipients],
      shamirThreshold: 0,
      selectors,
      macOnlyEncrypted: flags.macOnlyEncrypted ?? false,
      source: flags.age && flags.age.length > 0 ? "--age" : "SOPS_AGE_RECIPIENTS",
    };
  }
  const configFile = flags.config ? path.resolve(io.cwd, flags.config) : io.env.SOPS_CONFIG ? path.resolve(io.cwd, io.env.SOPS_CONFIG) : findSopsConfig(io.cwd);
  if (!configFile) {
    throw new UsageError("no recipients: pass --age age1… (repeatable), or add a .sops.yaml with creation_rules (see `seal encrypt --help`)");
  }
  const config = loadSopsConfig(configFile);
  if (config.rules.length === 0) throw new UsageError(`${configFile} has no creation_rules; add one with age: recipients, or pass --age`);
  const rule = matchCreationRule(config, path.resolve(io.cwd, file));
  return {
    keyGroups: rule.keyGroups,
    shamirThreshold: rule.shamirThreshold,
    selectors: selectors ?? (Object.keys(rule.selectors).length > 0 ? rule.selectors : undefined),
    macOnlyEncrypted: flags.macOnlyEncrypted || rule.macOnlyEncrypted,
    source: `${configFile} creation_rules[${rule.index}]`,
  };
}
