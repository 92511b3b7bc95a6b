/**
 * One contract for both CLIs (`sealsync` and `seal`), in one place:
 *   0 success · 1 a runtime failure (one message) · 2 a usage error (bad flag, value, argument or file).
 * Nothing prints a stack: an unexpected error is one "internal error" line.
 * Commander's own errors (unknown flag, invalid value, missing argument) are usage errors too; commander
 * has already printed their one line, naming the flag and what it accepts.
 */
import { CommanderError, type Command } from "commander";
import { UsageError } from "../config/usage-error.js";

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

export interface FailureRules {
  /** More error classes that mean "the user asked wrongly" (exit 2). */
  usage?: readonly ErrorClass[];
  /** The exit status of a runtime failure (default 1; `audit verify` uses 2 for "could not check"). */
  failureExit?: number;
}

/** Programming errors: reported as internal errors, still without a stack. */
const BUG_NAMES = new Set(["TypeError", "RangeError", "ReferenceError", "SyntaxError"]);

/** The exit status and the one message for what a command threw. */
export function describeFailure(err: unknown, rules: FailureRules = {}): { exitCode: number; message: string } {
  if (err instanceof UsageError || (rules.usage ?? []).some((c) => err instanceof c)) {
    return { exitCode: EXIT_USAGE, message: (err as Error).message };
  }
  const exitCode = rules.failureExit ?? EXIT_FAILURE;
  if (!(err instanceof Error)) return { exitCode, message: `internal error: ${String(err)}` };
  const fs = err as NodeJS.ErrnoException;
  if (typeof fs.code === "string" && typeof fs.syscall === "string") {
    return { exitCode, message: `cannot ${fs.syscall} ${fs.path ?? "a file"} (${fs.code}): check the path and its permissions` };
  }
  return { exitCode, message: BUG_NAMES.has(err.name) ? `internal error: ${err.message}` : err.message };
}

/** Prints `<prefix>: <message>` on stderr and returns the exit status. */
export function reportFailure(err: unknown, prefix: string, stderr: NodeJS.WritableStream = process.stderr, rules?: FailureRules): number {
  const { exitCode, message } = describeFailure(err, rules);
  stderr.write(`${prefix}: ${message}\n`);
  return exitCode;
}

/** Runs a command body; a throw becomes a message and an exit status. */
export async function withExitCodes(fn: () => Promise<number | void>, prefix = "error", rules?: FailureRules): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === "number") process.exitCode = code;
  } catch (err) {
    process.exitCode = reportFailure(err, prefix, process.stderr, rules);
  }
}

/**
 * Parses argv and runs the chosen command under the contract. Call on a program before its commands
 * are added (they inherit the override).
 */
export function underContract(program: Command): Command {
  return program.exitOverride();
}

export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  // A reader that stops early (`seal diff … | head`) is not a failure of ours: stop quietly, as git does.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version exit 0; every other commander error is a usage error it has already printed.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportFailure(err, "error");
  }
}
