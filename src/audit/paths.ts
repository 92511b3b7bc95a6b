/**
 * Where a log lives on disk: the default file under the data dir, and the names of its rotated files.
 *
 * The active file is `audit.jsonl`; rotation renames it once to `audit.000001.jsonl`,
 * `audit.000002.jsonl`… (higher = newer, numbers never reused), so a plain `ls` or shell glob lists
 * a log oldest first and the active file last.
 */
import { access, readdir } from "node:fs/promises";
import path from "node:path";

export const DEFAULT_DATA_DIR = "/var/lib/sealsync";
export const DATA_DIR_ENV = "SEALSYNC_DATA_DIR";

/** The daemon's audit log unless `--audit-log` says otherwise: `<data-dir>/audit/audit.jsonl`. */
export function defaultAuditLogPath(dataDir: string = process.env[DATA_DIR_ENV] || DEFAULT_DATA_DIR): string {
  return path.join(dataDir, "audit", "audit.jsonl");
}

function split(active: string): { dir: string; stem: string; ext: string } {
  const base = path.basename(active);
  const ext = path.extname(base);
  return { dir: path.dirname(active), stem: ext ? base.slice(0, -ext.length) : base, ext };
}

/** The name generation `n` of `active` is renamed to on rotation. */
export function rotatedPath(active: string, generation: number): string {
  const { dir, stem, ext } = split(active);
  return path.join(dir, `${stem}.${String(generation).padStart(6, "0")}${ext}`);
}

export interface RotatedFile {
  generation: number;
  path: string;
}

/** The rotated files of `active`, oldest first. */
export async function listRotated(active: string): Promise<RotatedFile[]> {
  const { dir, stem, ext } = split(active);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{6,})${escape(ext)}$`);
  const found: RotatedFile[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (m?.[1]) found.push({ generation: Number(m[1]), path: path.join(dir, name) });
  }
  return found.sort((a, b) => a.generation - b.generation);
}

/**
 * The files to read for the given paths, in order: each path is preceded by its rotated files (so
 * naming the active file reads the whole log); duplicates are read once. An active file that is
 * missing while rotated files exist (a rotation interrupted between rename and create) is skipped.
 */
export async function expandLogFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const rotated = (await listRotated(p)).map((r) => r.path);
    const exists = await access(p).then(() => true, () => false);
    for (const file of exists || rotated.length === 0 ? [...rotated, p] : rotated) {
      const key = path.resolve(file);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(file);
      }
    }
  }
  return out;
}
