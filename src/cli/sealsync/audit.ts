/**
 * `sealsync audit export | verify | tail`: the audit log for operators and auditors. Parsing and
 * output only; the work is in src/audit. Data goes to stdout, messages to stderr.
 * Exit status: 0 success, 1 failure (verify: the chain is broken), 2 usage (or verify could not check).
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  AuditKeyError,
  AuditQueryError,
  DATA_DIR_ENV,
  DEFAULT_DATA_DIR,
  EXPORT_FORMATS,
  buildFilter,
  defaultAuditLogPath,
  expandLogFiles,
  exportChunks,
  followLog,
  formatEntry,
  lastEntries,
  matchesFilter,
  readEntries,
  readHmacKeyFile,
  verifyLog,
  writeChunks,
  type EntryFilter,
  type ExportFormat,
  type SkippedLine,
} from "../../audit/index.js";
import { UsageError } from "../../config/usage-error.js";
import { EXIT_FAILURE, EXIT_USAGE, withExitCodes } from "../exit.js";

export { UsageError };


interface LogOptions {
  log?: string[];
  dataDir: string;
}

const TIME_HELP = "Times are RFC 3339 (2026-05-01T12:00:00Z), a UTC date (2026-05-01) or a duration ago (500ms, 90s, 1h30m or 7d); the window is since <= ts < until.";

function addLogOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--log <file...>", "audit log file(s), oldest first; an active file brings its rotated files (default: <data-dir>/audit/audit.jsonl)"))
    .addOption(new Option("--data-dir <dir>", "the daemon's data directory, used when --log is not given").env(DATA_DIR_ENV).default(DEFAULT_DATA_DIR));
}

function addFilterOptions(cmd: Command, window: boolean): Command {
  if (window) {
    cmd.option("--since <time>", "only entries at or after this time").option("--until <time>", "only entries before this time");
  }
  return cmd
    .option("--kind <kind...>", "only entries about objects of this kind (Secret, ConfigMap…; case-insensitive)")
    .option("--action <action...>", "only these actions (repeat or comma-separate, e.g. object-configured,object-pruned)");
}

/** The files to read: --log as given, or the daemon's default log, with rotated files in order. */
async function resolveLogFiles(opts: LogOptions): Promise<string[]> {
  // An empty SEALSYNC_DATA_DIR means unset, not the current directory.
  const given = opts.log ?? [defaultAuditLogPath(opts.dataDir || DEFAULT_DATA_DIR)];
  const files = await expandLogFiles(given);
  for (const file of files) {
    const info = await stat(file).catch(() => undefined);
    if (!info) {
      throw new UsageError(opts.log
        ? `no audit log at ${file}: check the path given to --log`
        : `no audit log at ${file}: pass --log FILE, or --data-dir DIR (env ${DATA_DIR_ENV}) naming the daemon's data directory`);
    }
    if (info.isDirectory()) throw new UsageError(`${file} is a directory: pass the log file in it, e.g. --log ${path.join(file, "audit.jsonl")}`);
  }
  return files;
}

function filterFrom(opts: { since?: string; until?: string; kind?: string[]; action?: string[] }): EntryFilter {
  return buildFilter(opts, { since: "--since", until: "--until", action: "--action" });
}

/** Reports lines `export`/`tail` passed over, a few at most. */
function skipReporter(): { onSkip: (s: SkippedLine) => void; done: () => void } {
  let count = 0;
  return {
    onSkip: ({ raw, problem }) => {
      count += 1;
      if (count <= 5) process.stderr.write(`warning: skipped ${raw.file}:${raw.line}: ${problem}\n`);
    },
    done: () => {
      if (count > 5) process.stderr.write(`warning: skipped ${count - 5} more lines\n`);
      if (count > 0) process.stderr.write("warning: run `sealsync audit verify` to check the log's integrity\n");
    },
  };
}

/** Runs a command body under the CLI contract; a bad query or key file is a usage error. */
function handle<A extends unknown[]>(body: (...args: A) => Promise<number>, failureExit = EXIT_FAILURE) {
  return (...args: A): Promise<void> =>
    withExitCodes(() => body(...args), "error", { usage: [AuditQueryError, AuditKeyError], failureExit });
}

interface ExportOpts extends LogOptions {
  since?: string;
  until?: string;
  kind?: string[];
  action?: string[];
  format: ExportFormat;
  output?: string;
  bom: boolean;
}

async function runExport(opts: ExportOpts): Promise<number> {
  const filter = filterFrom(opts);
  const files = await resolveLogFiles(opts);
  const skips = skipReporter();
  const stats = { entries: 0 };
  const chunks = exportChunks(readEntries(files, skips.onSkip), { format: opts.format, filter, bom: opts.bom, stats });
  if (opts.output === undefined || opts.output === "-") {
    // A closed pipe (`| head`) is not an error worth a stack trace.
    process.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
    });
    await writeChunks(chunks, process.stdout);
    skips.done();
    return 0;
  }
  // Write beside the target and rename, so a failed export never leaves half a file under its name.
  const target = path.resolve(opts.output);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  const out = createWriteStream(temp, { mode: 0o640 });
  try {
    await new Promise<void>((resolve, reject) => out.once("open", () => resolve()).once("error", reject));
    await writeChunks(chunks, out);
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await rename(temp, target);
  } catch (err) {
    out.destroy();
    await rm(temp, { force: true });
    const e = err as NodeJS.ErrnoException;
    // Errors about the output file are the user's to fix; errors reading the log keep their own message.
    if (e.code && (e.path === temp || e.path === target)) {
      throw new UsageError(`cannot write ${target} (${e.code}): check that its directory exists and is writable`);
    }
    throw err;
  }
  skips.done();
  process.stderr.write(`exported ${stats.entries} entr${stats.entries === 1 ? "y" : "ies"} to ${target}\n`);
  return 0;
}

interface VerifyOpts extends LogOptions {
  hmacKeyFile?: string;
}

async function runVerify(opts: VerifyOpts): Promise<number> {
  const files = await resolveLogFiles(opts);
  const hmacKey = opts.hmacKeyFile === undefined ? undefined : await readHmacKeyFile(opts.hmacKeyFile);
  const result = await verifyLog(files, hmacKey ? { hmacKey } : {});
  if (!result.ok) {
    process.stderr.write(`error: ${result.message}\n`);
    process.stderr.write(`${result.entries} entr${result.entries === 1 ? "y" : "ies"} verified before it\n`);
    return EXIT_FAILURE;
  }
  if (!result.first || !result.last) {
    process.stdout.write("0 entries: the log is empty\n");
    return 0;
  }
  const signed = result.signatures === "verified" ? ", signatures verified" : "";
  process.stdout.write(
    `${result.entries} entr${result.entries === 1 ? "y" : "ies"}, chain intact from #${result.first.seq} (${result.first.ts}) ` +
      `to #${result.last.seq} (${result.last.ts})${signed}\n`,
  );
  if (result.startsAfterRotation) {
    process.stderr.write(`note: the log starts at the first entry of a rotated file (#${result.first.seq}); earlier files were rotated out or not given\n`);
  }
  if (result.signatures === "unchecked") {
    process.stderr.write("note: the entries are signed, but no --hmac-key-file was given, so the signatures were not checked\n");
  }
  return 0;
}

interface TailOpts extends LogOptions {
  lines: number;
  follow?: boolean;
  kind?: string[];
  action?: string[];
}

async function runTail(opts: TailOpts): Promise<number> {
  const filter = filterFrom(opts);
  const files = await resolveLogFiles(opts);
  // Filter while reading, so -n counts matching entries.
  const matching = files.length === 0 ? { entries: [], endOffset: 0 } : await lastEntries(files, opts.lines, (e) => matchesFilter(e, filter));
  for (const entry of matching.entries) process.stdout.write(`${formatEntry(entry)}\n`);
  const active = files.at(-1);
  if (!opts.follow || active === undefined) return 0;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  try {
    await followLog(active, (entry) => {
      if (matchesFilter(entry, filter)) process.stdout.write(`${formatEntry(entry)}\n`);
    }, { from: matching.endOffset, signal: stop.signal });
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
  return 0;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number, e.g. 50");
  return Number(value);
}

/** Adds `audit export`, `audit verify` and `audit tail` to the sealsync program. */
export function registerAuditCommands(program: Command): void {
  const audit = program
    .command("audit")
    .description("export, verify and follow the audit log: one hash-chained JSON line per action sealsync took");

  addFilterOptions(addLogOptions(audit.command("export")), true)
    .description("write audit entries as JSON Lines, CSV (header row; opens in a spreadsheet) or a JSON array")
    .addOption(new Option("--format <format>", "output format").choices(EXPORT_FORMATS).default("jsonl"))
    .option("-o, --output <file>", "write to this file instead of stdout (written whole or not at all)")
    .option("--no-bom", "CSV: leave out the UTF-8 byte order mark spreadsheets use to detect the encoding")
    .addHelpText("after", `
${TIME_HELP}
Exit status: 0 exported, 1 a file could not be read or written, 2 usage.

Examples:
  $ sealsync audit export --since 24h --format csv -o audit.csv
  $ sealsync audit export --log ./audit.jsonl --kind Secret --action object-configured,object-pruned --format json`)
    .action(handle((opts: ExportOpts) => runExport(opts)));

  addLogOptions(audit.command("verify"))
    .description("check every link (and signature) of the log; name the first broken entry and why")
    .addOption(new Option("--hmac-key-file <file>", "the key the daemon signs entries with (--audit-hmac-key-file); checks every signature").env("SEALSYNC_AUDIT_HMAC_KEY_FILE"))
    .addHelpText("after", `
Reports "N entries, chain intact from <first> to <last>", or the first entry that is edited,
missing, reordered, truncated or has a bad signature.
Exit status: 0 intact, 1 broken, 2 could not check (usage, unreadable file or key).

Example:
  $ sealsync audit verify --log /var/lib/sealsync/audit/audit.jsonl --hmac-key-file /etc/sealsync/audit-hmac.key`)
    .action(handle((opts: VerifyOpts) => runVerify(opts), EXIT_USAGE));

  addFilterOptions(addLogOptions(audit.command("tail")), false)
    .description("print the last entries, one readable line each; --follow for new ones as they are written")
    .option("-n, --lines <count>", "how many entries to print first", positiveInt, 20)
    .option("-f, --follow", "keep printing entries as they are appended (across rotations) until interrupted")
    .addHelpText("after", `
Exit status: 0 done, 1 a file could not be read, 2 usage.

Example:
  $ sealsync audit tail -n 50 --action rejected,drift-corrected --follow`)
    .action(handle((opts: TailOpts) => runTail(opts)));
}
