/**
 * `seal updatekeys --all [DIR]`: every SOPS file of a repository (the files Git sees, so .gitignore holds)
 * re-wrapped for the recipients its `.sops.yaml` rule names now. Keeps going past files it cannot open and
 * ends with a summary naming them; exit 1 if there were any.
 */
import path from "node:path";
import { findSopsConfig, loadSopsConfig, matchCreationRule, SopsConfigError } from "../../crypto/sops/config.js";
import { formatForPath, isEncryptedFile, SopsError } from "../../crypto/sops/index.js";
import { syncRecipients } from "../../crypto/sops/sync-recipients.js";
import { repoFiles } from "../../source/local-git.js";
import { readInput, say, UsageError, writeFileAtomic, type Io } from "./common.js";
import { loadIdentities } from "../../crypto/keyring/key-files.js";

export interface UpdateKeysAllOptions {
  key: string[];
  config?: string;
  dryRun?: boolean;
  rotate?: boolean;
}

const SOPS_EXTENSIONS = new Set([".yaml", ".yml", ".json", ".env"]);
const short = (r: string) => (r.length > 20 ? `${r.slice(0, 12)}…${r.slice(-6)}` : r);

export async function updateKeysAll(dir: string, opts: UpdateKeysAllOptions, io: Io): Promise<number> {
  const root = path.resolve(io.cwd, dir);
  const configFile = opts.config ? path.resolve(io.cwd, opts.config) : io.env.SOPS_CONFIG ? path.resolve(io.cwd, io.env.SOPS_CONFIG) : findSopsConfig(root);
  if (!configFile) throw new UsageError(`no .sops.yaml in ${dir} or above: the rules say who each file is for; pass --config FILE`);
  const config = loadSopsConfig(configFile);
  let identities;
  try {
    identities = loadIdentities(opts.key, io).identities;
  } catch (err) {
    // A dry run can list the plan without a key; a real run cannot re-wrap anything without one.
    if (!(err instanceof UsageError) || !opts.dryRun) throw err;
  }
  const would = opts.dryRun ? "would " : "";
  const tally = { files: 0, updated: 0, upToDate: 0, removedSome: false };
  const retired: string[] = [];
  const failed: string[] = [];
  const skipped: string[] = [];
  for (const rel of repoFiles(root)) {
    if (!SOPS_EXTENSIONS.has(path.extname(rel).toLowerCase()) || path.basename(rel) === ".sops.yaml") continue;
    const shown = path.relative(io.cwd, path.join(root, rel)) || rel;
    const abs = path.join(root, rel);
    const format = formatForPath(rel);
    const bytes = readInput(abs, io);
    if (!isEncryptedFile(bytes, format, shown)) continue;
    tally.files++;
    try {
      const rule = matchCreationRule(config, abs);
      if (rule.keyGroups.length !== 1) {
        skipped.push(`${shown}: its rule uses key_groups; use sops updatekeys`);
        continue;
      }
      const res = await syncRecipients(bytes, { format, file: shown, target: rule.keyGroups[0]!, identities, write: !opts.dryRun, rotate: opts.rotate });
      switch (res.outcome) {
        case "up-to-date":
          tally.upToDate++;
          break;
        case "updated": {
          tally.updated++;
          if (res.removed.length > 0) tally.removedSome = true;
          if (res.bytes) writeFileAtomic(abs, res.bytes, io);
          const what = [...res.added.map((r) => `+${short(r)}`), ...res.removed.map((r) => `-${short(r)}`)].join(" ");
          say(io, `${shown}: ${opts.dryRun ? "would update" : "updated"} recipients ${what}${res.rotated ? ` and ${opts.dryRun ? "rotate" : "rotated"} the data key` : ""}`);
          break;
        }
        case "unopenable":
          if (res.retiredOnly) retired.push(`${shown} (${res.recipients.map(short).join(", ")})`);
          else failed.push(`${shown}: none of your keys opens it (recipients ${res.recipients.map(short).join(", ")})`);
          break;
      }
    } catch (err) {
      if (err instanceof SopsError || err instanceof SopsConfigError) failed.push(err.message.startsWith(shown) ? err.message : `${shown}: ${err.message}`);
      else throw err;
    }
  }
  say(io, `seal updatekeys: ${tally.files} SOPS files, ${tally.updated} ${would}${opts.dryRun ? "be updated" : "updated"}, ${tally.upToDate} already up to date` +
    (identities === undefined ? " (no key: files were not opened)" : ""));
  for (const s of skipped) say(io, `skipped ${s}`);
  if (retired.length > 0) {
    say(io, `only a retired key can still open ${retired.length} file${retired.length === 1 ? "" : "s"} (ask its holder to run seal updatekeys --all, or re-create them):`);
    for (const r of retired) say(io, `  ${r}`);
  }
  if (failed.length > 0) {
    say(io, `could not open ${failed.length} file${failed.length === 1 ? "" : "s"}:`);
    for (const f of failed) say(io, `  ${f}`);
  }
  if (tally.removedSome && !opts.rotate && !opts.dryRun) {
    say(io, "note: a removed recipient may still hold the old data keys; add --rotate to replace them too");
  }
  return retired.length > 0 || failed.length > 0 ? 1 : 0;
}
