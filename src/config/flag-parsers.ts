/**
 * Value parsers and file checks for flags. Parsers throw commander's InvalidArgumentError, which commander turns
 * into one line naming the flag, the value and what is accepted (a usage error: exit 2).
 */
import { InvalidArgumentError } from "commander";
import { accessSync, constants, statSync } from "node:fs";
import { UsageError } from "./usage-error.js";
import { DURATION_EXAMPLES, formatDuration, parseDuration } from "./duration.js";

/** A duration of at least `minMs`, in milliseconds. */
export function durationFlag(minMs = 1) {
  return (value: string): number => {
    const ms = parseDuration(value);
    if (ms === undefined) throw new InvalidArgumentError(`expected a duration such as ${DURATION_EXAMPLES}`);
    if (ms < minMs) throw new InvalidArgumentError(`expected a duration of at least ${formatDuration(minMs)}`);
    return ms;
  };
}

/** A whole number of at least `min`. */
export function wholeNumberFlag(min = 0) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number >= ${min}, e.g. ${Math.max(min, 10)}`);
    const n = Number(value);
    if (n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

/** Wraps a parser that throws any error (with a message for users) into commander's usage error. */
export function flagParser<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/**
 * A file a flag names must exist and be readable now, before any work starts (not on first use, when
 * the failure would land in the middle of a run). `nonEmpty` for files that hold a secret.
 */
export function checkFileFlag(flag: string, file: string, opts: { nonEmpty?: boolean; what?: string } = {}): void {
  let info;
  try {
    info = statSync(file);
    accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable by this user" : `cannot read (${code ?? "error"})`;
    throw new UsageError(`${flag} ${file}: ${why}${opts.what ? `; it should hold ${opts.what}` : ""}`);
  }
  if (info.isDirectory()) throw new UsageError(`${flag} ${file}: is a directory; give the file${opts.what ? ` holding ${opts.what}` : ""}`);
  if (opts.nonEmpty && info.size === 0) throw new UsageError(`${flag} ${file}: is empty; it should hold ${opts.what ?? "a value"}`);
}

/** A folder a flag names must exist now. */
export function checkDirFlag(flag: string, dir: string): void {
  let info;
  try {
    info = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${dir}: ${code === "ENOENT" ? "no such directory" : `cannot read (${code ?? "error"})`}`);
  }
  if (!info.isDirectory()) throw new UsageError(`${flag} ${dir}: not a directory`);
}
