/**
 * What every `seal` command shares: reading FILE or stdin, writing stdout or a file, turning errors
 * into one stderr line and an exit status (src/cli/exit.ts). Data goes to stdout, messages to stderr.
 */
import { writeFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../../config/usage-error.js";
import { processIo, readInput, type Io } from "../../util/io.js";
import { reportFailure } from "../exit.js";

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
  writeAt(target, data, fileMode);
}

/** Writes plaintext atomically as 0600, whatever the mode of a file it replaces (a 0644 one included). */
export function writePrivateFileAtomic(file: string, data: Uint8Array | string, io: Io): void {
  writeAt(path.resolve(io.cwd, file), data, 0o600);
}

function writeAt(target: string, data: Uint8Array | string, fileMode: number): void {
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

/** Runs a command body and sets the exit status from its outcome: `seal <command>: <message>` on a failure. */
export async function runCommand(command: string, io: Io, body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (err) {
    process.exitCode = reportFailure(err, `seal ${command}`, io.stderr);
  }
}

/** Repeatable flag collector: `--age a --age b,c` → [a, b, c]. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter((s) => s !== "")];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
