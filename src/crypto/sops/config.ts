/**
 * `.sops.yaml` as sops reads it: found from the working directory upward (`.sops.yml` is not read),
 * the first `creation_rules` entry whose `path_regex` matches the file (relative to the config's
 * directory) decides recipients, key groups and selectors.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseAgeRecipient, AgeRecipientError } from "../age.js";
import { compileGoRegex, SelectorError } from "./selectors.js";
import { SELECTOR_FIELDS, type Selectors } from "./metadata.js";

export class SopsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SopsConfigError";
  }
}

export interface CreationRule {
  /** The rule's index in creation_rules, for messages. */
  index: number;
  pathRegex?: string;
  /** Recipients per key group (one group unless key_groups is used). */
  keyGroups: string[][];
  shamirThreshold: number;
  selectors: Selectors;
  macOnlyEncrypted: boolean;
  /** Why seal cannot honour this rule (non-age keys); reported only when the rule is the one matched. */
  unsupported?: string;
}

export interface SopsConfig {
  file: string;
  rules: CreationRule[];
}

// .sops.yaml names its selectors as the sops metadata block does.
const SELECTORS = SELECTOR_FIELDS;

const NON_AGE_KEYS = ["pgp", "kms", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms"];

/** Nearest `.sops.yaml` from `cwd` upward (at most 100 levels), or undefined. */
export function findSopsConfig(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (let i = 0; i < 100; i++) {
    const candidate = path.join(dir, ".sops.yaml");
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** A string (comma separated) or a list of strings, each item trimmed, empties dropped. */
function recipientList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  const items = typeof v === "string" ? [v] : Array.isArray(v) ? v : undefined;
  if (!items || items.some((x) => typeof x !== "string")) throw new SopsConfigError(`${where} must be a string or a list of strings`);
  return (items as string[])
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((r) => {
      try {
        return parseAgeRecipient(r);
      } catch (err) {
        if (err instanceof AgeRecipientError) throw new SopsConfigError(`${where}: ${err.message}`);
        throw err;
      }
    });
}

function hasNonAge(o: Record<string, unknown>): string | undefined {
  return NON_AGE_KEYS.find((k) => {
    const v = o[k];
    return v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);
  });
}

export function parseSopsConfig(text: string, file: string): SopsConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { merge: true });
  } catch (err) {
    throw new SopsConfigError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const rules = (doc as { creation_rules?: unknown } | null)?.creation_rules;
  if (rules === undefined || rules === null) return { file, rules: [] };
  if (!Array.isArray(rules)) throw new SopsConfigError(`${file}: creation_rules must be a list`);
  return {
    file,
    rules: rules.map((r: unknown, index) => {
      const where = `${file}: creation_rules[${index}]`;
      if (typeof r !== "object" || r === null || Array.isArray(r)) throw new SopsConfigError(`${where} must be a map`);
      const o = r as Record<string, unknown>;
      const selectors: Selectors = {};
      let count = 0;
      for (const [field, prop] of SELECTORS) {
        const v = o[field];
        if (v === undefined || v === null || v === "") continue;
        if (typeof v !== "string") throw new SopsConfigError(`${where}.${field} must be a string`);
        selectors[prop] = v;
        count++;
      }
      if (count > 1) throw new SopsConfigError(`${where}: only one of ${SELECTORS.map(([f]) => f).join(", ")} may be set`);
      let keyGroups: string[][];
      let unsupported: string | undefined;
      if (Array.isArray(o.key_groups) && o.key_groups.length > 0) {
        keyGroups = o.key_groups.map((g: unknown, gi) => {
          const gw = `${where}.key_groups[${gi}]`;
          if (typeof g !== "object" || g === null) throw new SopsConfigError(`${gw} must be a map`);
          const other = hasNonAge(g as Record<string, unknown>);
          if (other) unsupported ??= `${gw} uses ${other} keys; seal encrypts to age only — use sops for files matching this rule`;
          return recipientList((g as Record<string, unknown>).age, `${gw}.age`);
        });
      } else {
        const other = hasNonAge(o);
        const age = recipientList(o.age, `${where}.age`);
        // Encrypting to the age keys alone would silently lock the other key holders out: refuse instead.
        if (other && age.length === 0) unsupported = `${where} uses ${other} keys only; seal encrypts to age only — add age recipients or use sops`;
        else if (other) unsupported = `${where} also lists ${other} keys, which seal cannot wrap to; use sops for files matching this rule, or drop them from it`;
        keyGroups = [age];
      }
      const pathRegex = typeof o.path_regex === "string" ? o.path_regex : undefined;
      if (pathRegex !== undefined) {
        try {
          compileGoRegex(pathRegex, "path_regex");
        } catch (err) {
          if (err instanceof SelectorError) throw new SopsConfigError(`${where}: ${err.message}`);
          throw err;
        }
      }
      const threshold = o.shamir_threshold;
      return {
        index,
        pathRegex,
        keyGroups,
        shamirThreshold: typeof threshold === "number" ? threshold : 0,
        selectors,
        macOnlyEncrypted: o.mac_only_encrypted === true,
        unsupported,
      };
    }),
  };
}

export function loadSopsConfig(file: string): SopsConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SopsConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseSopsConfig(text, file);
}

/** The first rule matching `file` (an absolute path), as sops picks it. */
export function matchCreationRule(config: SopsConfig, file: string): CreationRule {
  const dir = path.dirname(config.file);
  // sops strips the config directory plus separator; files elsewhere are matched by absolute path.
  const rel = file.startsWith(dir + path.sep) ? file.slice(dir.length + 1) : file;
  const subject = rel.split(path.sep).join("/");
  for (const rule of config.rules) {
    if (rule.pathRegex === undefined || compileGoRegex(rule.pathRegex, "path_regex").test(subject)) {
      if (rule.unsupported) throw new SopsConfigError(rule.unsupported);
      return rule;
    }
  }
  throw new SopsConfigError(`${config.file}: no creation_rules entry matches ${subject}; add a rule (or a catch-all without path_regex), or pass --age`);
}

/** Every age recipient any rule names (a file encrypted for anyone else has a stale recipient). */
export function namedRecipients(config: SopsConfig): Set<string> {
  return new Set(config.rules.flatMap((r) => r.keyGroups.flat()));
}
