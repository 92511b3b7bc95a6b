/**
 * The process streams, environment and working directory a command runs with (a seam for tests that
 * run in-process), and reading FILE or `-` (stdin) with a one-line error that names the file.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../config/usage-error.js";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  readStdin: () => Buffer;
}

export const processIo: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  readStdin: () => readFileSync(0),
};

export function readInput(file: string, io: Pick<Io, "cwd" | "readStdin">): Buffer {
  if (file === "-") return io.readStdin();
  try {
    return readFileSync(path.resolve(io.cwd, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${file}: no such file`);
    if (code === "EISDIR") throw new UsageError(`${file}: is a directory`);
    throw new UsageError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
}
