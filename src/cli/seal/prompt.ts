/**
 * Reading a secret value for `seal set` without it touching disk or argv: `--from-file`, a pipe on stdin
 * (one trailing newline dropped, as `echo` adds it), or a prompt on the terminal with echo off.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError, type Io } from "./common.js";

/** Reads a line from the terminal without echoing it; Ctrl-C or Ctrl-D aborts. */
function promptHidden(prompt: string, io: Io): Promise<Buffer> {
  const stdin = process.stdin;
  // Echo goes off before the prompt shows: whatever is typed after seeing it is never echoed.
  stdin.setRawMode(true);
  io.stderr.write(prompt);
  stdin.resume();
  const chunks: number[] = [];
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      io.stderr.write("\n");
      if (err) {
        chunks.fill(0);
        reject(err);
      } else resolve(Buffer.from(chunks));
    };
    const onData = (data: Buffer) => {
      for (const byte of data) {
        if (byte === 0x0d || byte === 0x0a) return done();
        if (byte === 0x03 || byte === 0x04) return done(new UsageError("aborted; the file is unchanged"));
        if (byte === 0x7f || byte === 0x08) chunks.pop();
        else chunks.push(byte);
      }
      data.fill(0);
    };
    stdin.on("data", onData);
  });
}

export async function readSecretValue(opts: { fromFile?: string }, key: string, io: Io): Promise<Buffer> {
  if (opts.fromFile !== undefined) {
    try {
      return readFileSync(path.resolve(io.cwd, opts.fromFile));
    } catch (err) {
      throw new UsageError(`--from-file ${opts.fromFile}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  if (process.stdin.isTTY) return promptHidden(`value for ${key} (not echoed): `, io);
  const bytes = io.readStdin();
  const end = bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a ? 2 : bytes.at(-1) === 0x0a ? 1 : 0;
  return bytes.subarray(0, bytes.length - end);
}
