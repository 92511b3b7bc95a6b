/**
 * What every `seal` command shares: reading FILE or stdin, writing stdout or a file, turning errors
 * into one stderr line and a non-zero exit. Data goes to stdout, messages to stderr.
 */
import { writeFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { AgeKeyError, AgeRecipientError } from "../../crypto/age.js";
import { KeyringLoadError } from "../../crypto/keyring/errors.js";
import { SealedSecretError } from "../../crypto/sealed/index.js";
import { SopsError, UnsupportedFormatError } from "../../crypto/sops/index.js";
import { SopsConfigError } from "../../crypto/sops/config.js";
import { UsageError } from "../../config/usage-error.js";
import { processIo, readInput, type Io } from "../../util/io.js";

export { UsageError, processIo, readInput, type Io };

/**
 * Writes a file atomically (temp file + rename), keeping the mode of a file it replaces.
 * `mode` applies to new files (0600 for anything holding a secret).
 */
export function writeFileAtomic(file: string, data: Uint8Array | string, io: Io, mode = 0o644): void {
  const target = path.resolve(io.cwd, file);
  let fileMode = mode;
  try {
    fileMode = statSync(target).mode & 0o777;
  } catch {
    // New file: use the given mode.
  }
  const tmp = `${target}.seal-${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: fileMode, flag: "wx" });
  renameSync(tmp, target);
}

export function writeStdout(io: Io, data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    io.stdout.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

export function say(io: Io, message: string): void {
  io.stderr.write(`${message}\n`);
}

/** Errors a user can act on are one line on stderr; anything else is a bug and keeps its stack. */
export function reportError(io: Io, command: string, err: unknown): number {
  if (
    err instanceof UsageError ||
    err instanceof SopsError ||
    err instanceof SealedSecretError ||
    err instanceof KeyringLoadError ||
    err instanceof AgeKeyError ||
    err instanceof AgeRecipientError ||
    err instanceof SopsConfigError ||
    err instanceof UnsupportedFormatError
  ) {
    say(io, `seal ${command}: ${err.message}`);
    return 1;
  }
  say(io, `seal ${command}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return 2;
}

/** Runs a command body and sets the exit code from its outcome. */
export async function runCommand(command: string, io: Io, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (err) {
    process.exitCode = reportError(io, command, err);
  }
}

/** Repeatable flag collector: `--age a --age b,c` → [a, b, c]. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter((s) => s !== "")];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
