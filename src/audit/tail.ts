/**
 * `tail`: entries for a human, one readable line each, and following a live log across rotations.
 *
 * The line is `<ts> #<seq> <action> [<subject>] key=value…`: the subject is Kind[.group]/namespace/name
 * for object actions, revisions are cut to 12 characters, and any text outside a plain identifier
 * set is JSON-quoted so a crafted commit subject cannot move the cursor or fake a line.
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuditEntry } from "./entry.js";
import { parseLine, readEntries } from "./reader.js";

const PLAIN = /^[\w.:/@+=-]+$/;
const quote = (text: string) => (PLAIN.test(text) ? text : JSON.stringify(text));
const HEADER = new Set(["seq", "ts", "action", "prev", "mac"]);
const SUBJECT = new Set(["group", "kind", "namespace", "name"]);

export function formatEntry(entry: AuditEntry): string {
  const record = entry as unknown as Record<string, unknown>;
  const parts = [entry.ts, `#${entry.seq}`, entry.action];
  const subject = typeof record.kind === "string" && typeof record.name === "string";
  if (subject) {
    const group = typeof record.group === "string" && record.group !== "" ? `.${record.group}` : "";
    const ns = typeof record.namespace === "string" ? `${record.namespace}/` : "";
    parts.push(quote(`${record.kind}${group}/${ns}${record.name}`));
  }
  for (const [key, value] of Object.entries(record)) {
    if (HEADER.has(key) || (subject && SUBJECT.has(key)) || value === undefined) continue;
    const text = key === "revision" && typeof value === "string" ? value.slice(0, 12) : String(value);
    parts.push(`${key}=${quote(text)}`);
  }
  return parts.join(" ");
}

/** The last `count` entries of the files that pass `keep`, and where the last complete line of the last file ends. */
export async function lastEntries(
  files: readonly string[],
  count: number,
  keep: (entry: AuditEntry) => boolean = () => true,
): Promise<{ entries: AuditEntry[]; endOffset: number }> {
  const entries: AuditEntry[] = [];
  let endOffset = 0;
  const lastFile = files.at(-1);
  for await (const { entry, raw } of readEntries(files)) {
    if (count > 0 && keep(entry)) {
      entries.push(entry);
      if (entries.length > count) entries.shift();
    }
    if (raw.file === lastFile) endOffset = raw.offset + raw.bytes.length + 1;
  }
  return { entries, endOffset };
}

export interface FollowOptions {
  /** Byte offset in the active file to start at (the end of what was already shown). */
  from: number;
  signal: AbortSignal;
  pollMs?: number;
}

/**
 * Calls `onEntry` for each entry appended to `file` until `signal` aborts, across rotations (when
 * the path names a new file, the old one is read to its end first). Lines that are not entries are
 * passed over, as in `export`.
 */
export async function followLog(file: string, onEntry: (entry: AuditEntry) => void, opts: FollowOptions): Promise<void> {
  let fh: FileHandle | undefined;
  let position = opts.from;
  let partial = Buffer.alloc(0);
  const drain = async () => {
    if (!fh) return;
    const { size } = await fh.stat();
    if (size < position) position = 0; // truncated under us: start over
    while (position < size) {
      const buf = Buffer.alloc(Math.min(size - position, 1 << 20));
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let data = Buffer.concat([partial, buf.subarray(0, bytesRead)]);
      for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a)) {
        const parsed = parseLine(data.subarray(0, nl));
        if (!("problem" in parsed)) onEntry(parsed.entry);
        data = data.subarray(nl + 1);
      }
      partial = Buffer.from(data);
    }
  };
  try {
    while (!opts.signal.aborted) {
      if (!fh) fh = await open(file, "r").catch(() => undefined);
      await drain();
      const current = await stat(file).catch(() => undefined);
      if (fh && current && current.ino !== (await fh.stat()).ino) {
        // Rotated: finish the old file, then continue in the new one from its start.
        await drain();
        await fh.close();
        fh = undefined;
        position = 0;
        partial = Buffer.alloc(0);
        continue;
      }
      await sleep(opts.pollMs ?? 500, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    await fh?.close();
  }
}
