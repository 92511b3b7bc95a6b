/**
 * Reading a log back: raw lines with their exact bytes (for verify), and parsed entries (for export,
 * tail and HTTP). Files are streamed, so a long log is never held in memory at once.
 */
import { createReadStream } from "node:fs";
import { entryLine, type EntryRecord } from "./chain.js";
import type { AuditEntry } from "./entry.js";
import { checkStoredEntry } from "./schema.js";

export interface RawLine {
  file: string;
  /** 1-based line number within `file`. */
  line: number;
  /** Byte offset of the line's start within `file`. */
  offset: number;
  /** The line's exact bytes, without the newline. */
  bytes: Buffer;
  /** False for a final line with no newline: a write that was cut short, or one still in progress. */
  complete: boolean;
}

/** Every line of the files, in order, with its exact bytes. */
export async function* readLines(files: readonly string[]): AsyncGenerator<RawLine> {
  for (const file of files) {
    let pending: Buffer[] = [];
    let line = 0;
    let offset = 0;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        pending.push(chunk.subarray(start, nl));
        const bytes = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
        yield { file, line: ++line, offset, bytes, complete: true };
        offset += bytes.length + 1;
        pending = [];
        start = nl + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length > 0) yield { file, line: line + 1, offset, bytes: Buffer.concat(pending), complete: false };
  }
}

/**
 * Parses one line strictly: valid JSON, exactly the schema, and byte-identical to its canonical
 * form (so a hand edit that keeps the JSON valid still shows).
 */
export function parseLine(bytes: Uint8Array): { entry: AuditEntry } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return { problem: "not valid JSON" };
  }
  const checked = checkStoredEntry(value);
  if ("problem" in checked) return checked;
  if (!Buffer.from(entryLine(checked.entry as EntryRecord), "utf8").equals(Buffer.from(bytes))) {
    return { problem: "not in the canonical form the writer produces (field order, spacing or encoding changed)" };
  }
  return checked;
}

export interface ParsedLine {
  entry: AuditEntry;
  raw: RawLine;
}

/** Why `readEntries` passed over a line. */
export interface SkippedLine {
  raw: RawLine;
  problem: string;
}

/**
 * The entries of the files in order. Lines that are not entries (an incomplete final line, a
 * damaged line) are passed over and reported to `onSkip`; `verify` is the tool that judges them.
 */
export async function* readEntries(files: readonly string[], onSkip?: (skipped: SkippedLine) => void): AsyncGenerator<ParsedLine> {
  for await (const raw of readLines(files)) {
    if (!raw.complete) {
      onSkip?.({ raw, problem: "incomplete final line (a write in progress or cut short)" });
      continue;
    }
    const parsed = parseLine(raw.bytes);
    if ("problem" in parsed) onSkip?.({ raw, problem: parsed.problem });
    else yield { entry: parsed.entry, raw };
  }
}
