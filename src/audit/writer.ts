/**
 * The audit log writer: appends chained entries to one active file, rotates it by size without
 * breaking the chain, and repairs the one truncated line a crash can leave.
 *
 * Contract:
 * - `append` calls may overlap from any number of async paths; entries are written in call order,
 *   one writer queue, and each promise resolves with the entry exactly as written.
 * - One process, one writer per file (enforced within the process; the sidecar owns its data dir).
 * - A line is written with a single append-mode write, so a crash leaves at most one incomplete
 *   final line. `open` cuts it (or completes it when only the newline was lost) and records
 *   the repair as a `log-repaired` entry; no earlier entry is touched.
 * - Durability follows `fsync` (see FsyncPolicy). Killing the process never loses an entry whose
 *   `append` resolved; the policy decides what a power loss or kernel crash can take.
 */
import { mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { entryLine, lineHash, signEntry, type EntryRecord } from "./chain.js";
import type { AuditAction, AuditEntry, AuditEvent } from "./entry.js";
import { AuditCorruptError, AuditError, AuditStateError, AuditWriteError } from "./errors.js";
import { listRotated, rotatedPath } from "./paths.js";
import { parseLine } from "./reader.js";
import { normalizeEvent, type NormalizedEvent } from "./schema.js";

/**
 * When the file is flushed to stable storage (fdatasync):
 * - "always": every entry on its own, before its `append` resolves. Slowest; nothing acknowledged is lost.
 * - "batch" (default): entries queued while a write is in flight share one write and one fdatasync;
 *   each `append` still resolves only after the flush that covers it. Same guarantee as "always".
 * - "interval": `append` resolves after write(2); a flush runs at most every `fsyncIntervalMs`.
 *   A power loss can take the last interval's entries.
 * - "never": the OS flushes when it likes (rotation and close still flush).
 */
export type FsyncPolicy = "always" | "batch" | "interval" | "never";
export const FSYNC_POLICIES: readonly FsyncPolicy[] = ["always", "batch", "interval", "never"];

export interface AuditLogOptions {
  /** The active file, e.g. `defaultAuditLogPath()`; its directory is created (0750) when missing. */
  file: string;
  /** Rotate before a write would take the active file past this size. Default 16 MiB; 0 never rotates. */
  maxBytes?: number;
  /** Rotated files kept; the oldest beyond this are deleted. Default 10; 0 keeps all. */
  maxFiles?: number;
  /** Signs each entry (HMAC-SHA256) so the chain cannot be rebuilt without the key. */
  hmacKey?: Uint8Array;
  /** Also write each line to stdout (true) or to the given stream, after it is in the file. */
  stdout?: boolean | { write(chunk: string): unknown };
  fsync?: FsyncPolicy;
  /** For "interval": the longest time written entries stay unflushed. Default 1000 ms. */
  fsyncIntervalMs?: number;
  /** Told the names (never the values) of fields the redaction guard removed from an event. */
  onStripped?: (action: AuditAction, fields: string[]) => void;
  /** Clock for `ts` (tests). */
  now?: () => Date;
}

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 10;
/** Smaller limits would rotate on nearly every entry. */
export const MIN_MAX_BYTES = 1024;

interface Pending {
  event: NormalizedEvent;
  resolve: (entry: AuditEntry) => void;
  reject: (err: unknown) => void;
}

interface Tail {
  /** The last complete line, without its newline. */
  last?: Buffer;
  /** Bytes after the last newline, and where they start. */
  partial?: { offset: number; bytes: Buffer };
}

/** Files open for writing in this process: a second writer would fork the chain. */
const openFiles = new Set<string>();

/** Reads backwards from the end until the last complete line and any partial line after it are known. */
async function readTail(fh: FileHandle, size: number): Promise<Tail> {
  const CHUNK = 64 * 1024;
  let pos = size;
  let buf = Buffer.alloc(0);
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const chunk = Buffer.alloc(len);
    await fh.read(chunk, 0, len, pos);
    buf = Buffer.concat([chunk, buf]);
    const lastNl = buf.lastIndexOf(0x0a);
    // Buffer.lastIndexOf with a negative offset counts from the end, hence the guard.
    if (lastNl > 0 && buf.lastIndexOf(0x0a, lastNl - 1) !== -1) break;
  }
  const lastNl = buf.lastIndexOf(0x0a);
  const tail: Tail = {};
  if (buf.length > lastNl + 1) tail.partial = { offset: pos + lastNl + 1, bytes: buf.subarray(lastNl + 1) };
  if (lastNl !== -1) {
    const prevNl = lastNl > 0 ? buf.lastIndexOf(0x0a, lastNl - 1) : -1;
    tail.last = buf.subarray(prevNl + 1, lastNl);
  }
  return tail;
}

function seqOfLine(line: Buffer): number | undefined {
  try {
    const seq = (JSON.parse(line.toString("utf8")) as { seq?: unknown }).seq;
    return Number.isSafeInteger(seq) && (seq as number) >= 1 ? (seq as number) : undefined;
  } catch {
    return undefined;
  }
}

export class AuditLog {
  readonly file: string;
  /** Set when `open` cut a truncated final line (already recorded as a `log-repaired` entry). */
  repaired?: { droppedBytes: number };

  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly policy: FsyncPolicy;
  private readonly intervalMs: number;
  private readonly mirror?: { write(chunk: string): unknown };
  private fh?: FileHandle;
  private size = 0;
  private seq = 0;
  private prevHash: string | null = null;
  private nextGeneration = 1;
  private queue: Pending[] = [];
  private draining?: Promise<void>;
  private closed = false;
  /** A failed write leaves the file in an unknown state; the next append re-reads it first. */
  private broken?: unknown;
  private dirty = false;
  private lastFlush = 0;
  private timer?: NodeJS.Timeout;

  private constructor(private readonly opts: AuditLogOptions) {
    this.file = path.resolve(opts.file);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
    this.policy = opts.fsync ?? "batch";
    this.intervalMs = opts.fsyncIntervalMs ?? 1000;
    this.mirror = opts.stdout === true ? process.stdout : opts.stdout || undefined;
  }

  /** Opens (creating or continuing) the log at `opts.file`, repairing a crash tail. */
  static async open(opts: AuditLogOptions): Promise<AuditLog> {
    if (!Number.isSafeInteger(opts.maxBytes ?? 0) || (opts.maxBytes !== undefined && opts.maxBytes !== 0 && opts.maxBytes < MIN_MAX_BYTES)) {
      throw new AuditStateError(`audit log maxBytes must be 0 (never rotate) or at least ${MIN_MAX_BYTES}`);
    }
    if (!Number.isSafeInteger(opts.maxFiles ?? 0) || (opts.maxFiles ?? 0) < 0) throw new AuditStateError("audit log maxFiles must be a non-negative integer");
    if (opts.fsync !== undefined && !FSYNC_POLICIES.includes(opts.fsync)) {
      throw new AuditStateError(`audit log fsync policy must be one of ${FSYNC_POLICIES.join(", ")}`);
    }
    const log = new AuditLog(opts);
    if (openFiles.has(log.file)) throw new AuditStateError(`the audit log ${log.file} is already open in this process; share one AuditLog`);
    openFiles.add(log.file);
    try {
      await log.init();
    } catch (err) {
      openFiles.delete(log.file);
      await log.fh?.close().catch(() => undefined);
      throw err;
    }
    if (log.policy === "interval") {
      log.timer = setInterval(() => log.flushIfIdle(), log.intervalMs);
      log.timer.unref();
    }
    return log;
  }

  /** The sequence number of the last entry written (0 for an empty log). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Appends one entry. Fields outside the action's schema are dropped (and named to `onStripped`);
   * a missing or mistyped schema field rejects with AuditSchemaError.
   */
  append(event: AuditEvent): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(new AuditStateError(`the audit log ${this.file} is closed`));
    let normalized: NormalizedEvent;
    try {
      normalized = normalizeEvent(event);
    } catch (err) {
      return Promise.reject(err);
    }
    if (normalized.stripped.length > 0) this.opts.onStripped?.(normalized.action, normalized.stripped);
    return new Promise((resolve, reject) => {
      this.queue.push({ event: normalized, resolve, reject });
      this.kick();
    });
  }

  /** Writes what is queued, flushes, and closes the file. Later appends reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining) await this.draining;
    clearInterval(this.timer);
    try {
      if (this.fh && !this.broken) await this.fh.datasync();
    } finally {
      await this.fh?.close();
      this.fh = undefined;
      openFiles.delete(this.file);
    }
  }

  /** Reads the end of the log to continue its chain; cuts or completes a truncated final line. */
  private async init(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o750 });
    const rotated = await listRotated(this.file);
    this.nextGeneration = (rotated.at(-1)?.generation ?? 0) + 1;
    const fh = await open(this.file, "a+", 0o640);
    this.fh = fh;
    this.size = (await fh.stat()).size;
    const tail = await readTail(fh, this.size);
    const markers: NormalizedEvent[] = [];
    let last = tail.last;
    if (tail.partial) {
      const parsed = parseLine(tail.partial.bytes);
      if (!("problem" in parsed) && (last === undefined || parsed.entry.prev === lineHash(last))) {
        // Only the newline was lost: the entry is whole and chains on, so keep it.
        await this.writeAll("\n");
        last = tail.partial.bytes;
      } else {
        await fh.truncate(tail.partial.offset);
        this.size = tail.partial.offset;
        this.repaired = { droppedBytes: tail.partial.bytes.length };
        markers.push({ action: "log-repaired", fields: { droppedBytes: tail.partial.bytes.length }, stripped: [] });
      }
    }
    let lastFile = this.file;
    const newest = rotated.at(-1);
    if (last === undefined && newest) {
      // A fresh active file after a rotation (or one interrupted after its rename): link to the rotated file.
      const rfh = await open(newest.path, "r");
      try {
        last = (await readTail(rfh, (await rfh.stat()).size)).last;
      } finally {
        await rfh.close();
      }
      lastFile = newest.path;
      markers.unshift({ action: "log-rotated", fields: { previousFile: path.basename(newest.path) }, stripped: [] });
    }
    if (last !== undefined) {
      const seq = seqOfLine(last);
      if (seq === undefined) {
        throw new AuditCorruptError(
          `the last complete line of ${lastFile} is not an audit entry, so its chain cannot be continued: ` +
            `run \`sealsync audit verify --log ${this.file}\` to see the damage, then move the log aside to start a new one`,
        );
      }
      this.seq = seq;
      this.prevHash = lineHash(last);
    }
    if (markers.length > 0) await this.writeEntries(markers);
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // "always" flushes per entry; the other policies write everything queued in one go.
      const batch = this.policy === "always" ? this.queue.splice(0, 1) : this.queue.splice(0);
      try {
        if (this.broken !== undefined) await this.recover();
        const entries = await this.writeEntries(batch.map((p) => p.event));
        batch.forEach((p, i) => p.resolve(entries[i] as AuditEntry));
      } catch (err) {
        this.broken ??= err;
        const error = err instanceof AuditError ? err : new AuditWriteError(
          `could not append to the audit log ${this.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
            "the entry was not recorded: check free space and permissions of the log directory",
          { cause: err },
        );
        for (const p of batch) p.reject(error);
      }
    }
  }

  /** After a failed write: forget in-memory state and continue from what is actually on disk. */
  private async recover(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    this.seq = 0;
    this.prevHash = null;
    await this.init();
    this.broken = undefined;
  }

  /** Seals events into lines (rotating as needed), writes them, flushes per policy, mirrors; returns the events' entries. */
  private async writeEntries(events: NormalizedEvent[]): Promise<AuditEntry[]> {
    const written: AuditEntry[] = [];
    const lines: string[] = [];
    let pending = "";
    let pendingBytes = 0;
    const flushPending = async () => {
      if (pending) await this.writeAll(pending);
      pending = "";
      pendingBytes = 0;
    };
    const add = (sealed: { entry: AuditEntry; line: string }, marker = false) => {
      this.seq = sealed.entry.seq;
      this.prevHash = lineHash(sealed.line);
      pending += `${sealed.line}\n`;
      pendingBytes += Buffer.byteLength(sealed.line) + 1;
      lines.push(sealed.line);
      if (!marker) written.push(sealed.entry);
    };
    for (const event of events) {
      let sealed = this.seal(event);
      const lineBytes = Buffer.byteLength(sealed.line) + 1;
      if (this.maxBytes > 0 && this.size + pendingBytes > 0 && this.size + pendingBytes + lineBytes > this.maxBytes) {
        await flushPending();
        const previous = await this.rotate();
        add(this.seal({ action: "log-rotated", fields: { previousFile: path.basename(previous) }, stripped: [] }), true);
        sealed = this.seal(event); // re-link after the marker
      }
      add(sealed);
    }
    await flushPending();
    await this.flushPerPolicy();
    if (this.mirror) for (const line of lines) this.mirror.write(`${line}\n`);
    return written;
  }

  /** Builds the entry that would come next (the caller commits it by advancing seq/prev). */
  private seal(event: NormalizedEvent): { entry: AuditEntry; line: string } {
    const now = this.opts.now?.() ?? new Date();
    const entry: EntryRecord = { seq: this.seq + 1, ts: now.toISOString(), action: event.action, ...event.fields, prev: this.prevHash };
    if (this.opts.hmacKey) entry.mac = signEntry(this.opts.hmacKey, entry);
    return { entry: entry as AuditEntry, line: entryLine(entry) };
  }

  private async writeAll(text: string): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new AuditStateError(`the audit log ${this.file} is not open`);
    const buf = Buffer.from(text, "utf8");
    // One write call per batch; the loop only matters if the kernel writes short.
    for (let off = 0; off < buf.length; ) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    this.size += buf.length;
    this.dirty = true;
  }

  private async flushPerPolicy(): Promise<void> {
    const due = this.policy === "always" || this.policy === "batch" || (this.policy === "interval" && Date.now() - this.lastFlush >= this.intervalMs);
    if (due && this.fh) {
      await this.fh.datasync();
      this.dirty = false;
      this.lastFlush = Date.now();
    }
  }

  /** "interval" when no appends come: flush what is written, through the queue so it never races a write. */
  private flushIfIdle(): void {
    if (!this.dirty || this.draining || this.closed || this.broken !== undefined) return;
    this.draining = (async () => {
      this.dirty = false;
      this.lastFlush = Date.now();
      await this.fh?.datasync();
    })().catch((err: unknown) => {
      this.broken ??= err;
    }).finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Renames the full active file to the next generation, prunes old ones, opens a new active file. */
  private async rotate(): Promise<string> {
    const fh = this.fh;
    if (!fh) throw new AuditStateError(`the audit log ${this.file} is not open`);
    await fh.datasync();
    await fh.close();
    this.fh = undefined;
    const target = rotatedPath(this.file, this.nextGeneration);
    await rename(this.file, target);
    this.nextGeneration += 1;
    if (this.maxFiles > 0) {
      const rotated = await listRotated(this.file);
      for (const old of rotated.slice(0, Math.max(0, rotated.length - this.maxFiles))) await unlink(old.path);
    }
    this.fh = await open(this.file, "a+", 0o640);
    this.size = 0;
    // Make the rename and the new file durable before the chain continues in it.
    const dir = await open(path.dirname(this.file), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return target;
  }
}
