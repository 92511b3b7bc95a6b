/**
 * `verify`: walks the chain across files and names the first entry that breaks it, and why.
 *
 * Checks per line, in order: complete (else truncated), a canonical schema entry (else edited),
 * signed with the key when one is given (else bad signature), the next sequence number (else
 * missing or reordered), and `prev` equal to the hash of the line before (else that line was edited).
 *
 * Limits (documented in docs/audit.md): without a key, the last entry can be rewritten in canonical
 * form undetected, and whole entries cut from the end of the log leave no trace in the file itself;
 * the stdout mirror or an export kept elsewhere is the anchor for those.
 */
import { lineHash, macMatches, type EntryRecord } from "./chain.js";
import { parseLine, readLines, type RawLine } from "./reader.js";

export type BreakReason = "edited" | "missing" | "reordered" | "truncated" | "bad-signature";

export interface EntryRef {
  seq: number;
  ts: string;
  file: string;
  line: number;
}

export interface VerifyIntact {
  ok: true;
  entries: number;
  first?: EntryRef;
  last?: EntryRef;
  /** The first entry opens a rotated file whose predecessors were not given (or were pruned by `maxFiles`). */
  startsAfterRotation: boolean;
  /** verified: every entry checked against the key; unchecked: entries carry MACs but no key was given. */
  signatures: "verified" | "none" | "unchecked";
}

export interface VerifyBroken {
  ok: false;
  /** Entries verified before the break. */
  entries: number;
  reason: BreakReason;
  file: string;
  line: number;
  /** The broken entry's sequence number, when it can be told. */
  seq?: number;
  message: string;
}

export type VerifyResult = VerifyIntact | VerifyBroken;

export interface VerifyOptions {
  hmacKey?: Uint8Array;
}

const where = (raw: { file: string; line: number }) => `${raw.file}:${raw.line}`;
const range = (from: number, to: number) => (from === to ? `entry #${from} is` : `entries #${from}–#${to} are`);

/** Loose read of a line's seq, for the look-ahead that tells "missing" from "reordered". */
function seqOf(raw: RawLine): number | undefined {
  try {
    const seq = (JSON.parse(raw.bytes.toString("utf8")) as { seq?: unknown }).seq;
    return typeof seq === "number" ? seq : undefined;
  } catch {
    return undefined;
  }
}

/** Look-ahead after a sequence gap: if the expected entry comes later it was moved, otherwise it is gone. */
async function findSeq(lines: AsyncIterator<RawLine>, seq: number): Promise<RawLine | undefined> {
  for (let rest = await lines.next(); !rest.done; rest = await lines.next()) {
    if (seqOf(rest.value) === seq) return rest.value;
  }
  return undefined;
}

export async function verifyLog(files: readonly string[], opts: VerifyOptions = {}): Promise<VerifyResult> {
  const lines = readLines(files)[Symbol.asyncIterator]();
  let count = 0;
  let first: EntryRef | undefined;
  let previous: { ref: EntryRef; hash: string } | undefined;
  let startsAfterRotation = false;
  let sawMac = false;
  const broken = (reason: BreakReason, raw: { file: string; line: number }, message: string, seq?: number): VerifyBroken =>
    ({ ok: false, entries: count, reason, file: raw.file, line: raw.line, ...(seq === undefined ? {} : { seq }), message });

  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const raw = next.value;
    const after = previous ? ` (after entry #${previous.ref.seq})` : "";
    if (!raw.complete) {
      const last = files.at(-1) === raw.file;
      return broken("truncated", raw, last
        ? `${where(raw)}: truncated: the last line (${raw.bytes.length} bytes) has no newline, so a write was cut short${after}; ` +
          `the ${count} entries before it are intact, and sealsync repairs the file when it next opens the log`
        : `${where(raw)}: truncated: ${raw.file} ends in an incomplete line${after}`);
    }
    const parsed = parseLine(raw.bytes);
    if ("problem" in parsed) {
      return broken("edited", raw, `${where(raw)}: edited: the line${after} is ${parsed.problem.startsWith("not") ? "" : "not a valid entry: "}${parsed.problem}`);
    }
    const entry = parsed.entry as EntryRecord;
    const ref: EntryRef = { seq: entry.seq, ts: entry.ts, file: raw.file, line: raw.line };
    const name = `entry #${entry.seq} (${where(raw)})`;
    if (entry.mac !== undefined) sawMac = true;
    if (opts.hmacKey) {
      if (entry.mac === undefined) return broken("bad-signature", raw, `${name}: bad signature: the entry is not signed, but a key was given`, entry.seq);
      if (!macMatches(opts.hmacKey, entry)) {
        return broken("bad-signature", raw, `${name}: bad signature: its MAC does not match the key (the entry was edited, or signed with another key)`, entry.seq);
      }
    }

    if (!previous) {
      if (entry.seq === 1) {
        if (entry.prev !== null) return broken("edited", raw, `${name}: edited: entry #1 must have prev null`, entry.seq);
      } else if (entry.action === "log-rotated") {
        startsAfterRotation = true;
      } else {
        const later = await findSeq(lines, 1);
        if (later) return broken("reordered", raw, `${name}: reordered: it comes before entry #1 (${where(later)})`, entry.seq);
        return broken("missing", raw, `${where(raw)}: missing: ${range(1, entry.seq - 1)} missing: the log starts at ${name}, ` +
          "which is neither entry #1 nor the first entry of a rotated file", 1);
      }
    } else {
      const expected = previous.ref.seq + 1;
      if (entry.seq < expected) {
        return broken("reordered", raw, `${name}: reordered: it comes after entry #${previous.ref.seq} (entries moved or duplicated)`, entry.seq);
      }
      if (entry.seq > expected) {
        const later = await findSeq(lines, expected);
        if (later) return broken("reordered", raw, `${name}: reordered: it comes before entry #${expected} (${where(later)})`, entry.seq);
        return broken("missing", raw, `${where(raw)}: missing: ${range(expected, entry.seq - 1)} missing between ` +
          `entry #${previous.ref.seq} (${where(previous.ref)}) and ${name}`, expected);
      }
      if (entry.prev !== previous.hash) {
        count -= 1; // the previous entry is the broken one
        return broken("edited", previous.ref, `entry #${previous.ref.seq} (${where(previous.ref)}): edited: its SHA-256 no longer matches ` +
          `the prev link stored in ${name}`, previous.ref.seq);
      }
    }
    first ??= ref;
    previous = { ref, hash: lineHash(raw.bytes) };
    count += 1;
  }
  return {
    ok: true, entries: count, startsAfterRotation,
    ...(first ? { first } : {}), ...(previous ? { last: previous.ref } : {}),
    signatures: opts.hmacKey ? "verified" : sawMac ? "unchecked" : "none",
  };
}
