/**
 * Screens a Git pack by the sizes its objects declare, before isomorphic-git indexes (and so inflates)
 * it: a 400 MB file of zeros packs into 0.4 MB, and a small commit of 30,000 files unpacks into
 * hundreds of MB. Each object is inflated here one at a time, bounded by the size it declares (an object
 * that inflates beyond it is refused), only to find where the next one starts; nothing is kept.
 *
 * Pack format (git's Documentation/gitformat-pack.txt): "PACK", version, object count, then per
 * object a type+size varint header, a base reference for deltas, and zlib data; a delta's data starts
 * with the base and result sizes.
 */
import { inflateSync } from "node:zlib";
import { SourceError } from "./revision.js";

export { DEFAULT_MAX_FILES, DEFAULT_MAX_TOTAL_BYTES } from "../config/git-limits.js";

export interface PackLimits {
  /** Most files (blobs) one fetch may bring. */
  maxFiles: number;
  /** Most bytes all objects of one fetch may unpack to. */
  maxTotalBytes: number;
}

export interface PackStats {
  objects: number;
  files: number;
  totalBytes: number;
}

/** A fetch refused for its size: the message names the limit and the flag that raises it. */
export class FetchLimitError extends SourceError {
  constructor(message: string) {
    super(message);
    this.name = "FetchLimitError";
  }
}

const COMMIT = 1, TREE = 2, BLOB = 3, TAG = 4, OFS_DELTA = 6, REF_DELTA = 7;

function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${n} bytes (${(n / 1024 / 1024).toFixed(1)} MiB)` : `${n} bytes`;
}

class Reader {
  constructor(readonly buf: Buffer, public pos = 0) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new SourceError("the Git server sent a truncated pack");
    return this.buf[this.pos++] as number;
  }
}

/** A little-endian base-128 varint (delta headers); sizes past 2^53 become Infinity (over any limit). */
function deltaSize(data: Buffer, pos: number): { value: number; pos: number } {
  let value = 0, shift = 0, c: number;
  do {
    if (pos >= data.length) throw new SourceError("the Git server sent a truncated delta");
    c = data[pos++] as number;
    value += (c & 0x7f) * 2 ** shift;
    shift += 7;
  } while (c & 0x80);
  return { value: shift > 56 ? Infinity : value, pos };
}

/**
 * Throws FetchLimitError when the pack (raw bytes, no side-band framing) would unpack past `limits`;
 * SourceError when it is malformed. Returns what it counted.
 */
export function screenPack(pack: Buffer, limits: PackLimits): PackStats {
  if (pack.length < 12 || pack.toString("latin1", 0, 4) !== "PACK") throw new SourceError("the Git server sent no pack");
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new SourceError(`the Git server sent a pack of unknown version ${version}`);
  const count = pack.readUInt32BE(8);
  const stats: PackStats = { objects: count, files: 0, totalBytes: 0 };
  // Even empty objects take a few bytes: a count the pack cannot hold is a lie.
  if (count > pack.length) throw new SourceError(`the Git server's pack claims ${count} objects in ${pack.length} bytes`);
  const typeAt = new Map<number, number>();
  const r = new Reader(pack, 12);
  const over = (what: string): never => {
    throw new FetchLimitError(`${what}; refused before unpacking anything (raise the limit if the repository really holds that much)`);
  };
  for (let i = 0; i < count; i++) {
    const start = r.pos;
    let c = r.byte();
    const type = (c >> 4) & 7;
    let size = c & 15, shift = 4;
    while (c & 0x80) {
      c = r.byte();
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 56) over(`an object of the fetched commit declares a size past 2^53 bytes, over --max-total-size (${bytes(limits.maxTotalBytes)})`);
    }
    let baseType: number | undefined;
    if (type === OFS_DELTA) {
      c = r.byte();
      let off = c & 0x7f;
      while (c & 0x80) {
        c = r.byte();
        off = (off + 1) * 128 + (c & 0x7f);
      }
      baseType = typeAt.get(start - off);
    } else if (type === REF_DELTA) {
      r.pos += 20;
    } else if (![COMMIT, TREE, BLOB, TAG].includes(type)) {
      throw new SourceError(`the Git server sent an object of unknown type ${type}`);
    }
    if (size > limits.maxTotalBytes) {
      over(`an object of the fetched commit is ${bytes(size)}, over --max-total-size (${bytes(limits.maxTotalBytes)})`);
    }
    let data: Buffer;
    let used: number;
    try {
      // maxOutputLength must be >= 1; an empty object inflates to 0 bytes either way.
      const out = inflateSync(pack.subarray(r.pos), { maxOutputLength: Math.max(size, 1), info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      data = out.buffer;
      used = out.engine.bytesWritten;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new SourceError(`the Git server sent an object that inflates beyond the ${size} bytes it declares; refused`);
      }
      throw new SourceError("the Git server sent a corrupt pack (bad zlib data)");
    }
    if (data.length !== size) throw new SourceError(`the Git server sent an object of ${data.length} bytes declared as ${size}`);
    r.pos += used;
    let resultSize = size;
    let resultType = type;
    if (type === OFS_DELTA || type === REF_DELTA) {
      resultSize = deltaSize(data, deltaSize(data, 0).pos).value;
      resultType = baseType ?? BLOB; // a base outside this pack: count it as a file, to be safe
      if (resultSize > limits.maxTotalBytes) {
        over(`an object of the fetched commit is ${bytes(resultSize)}, over --max-total-size (${bytes(limits.maxTotalBytes)})`);
      }
    }
    typeAt.set(start, resultType);
    stats.totalBytes += resultSize;
    if (resultType === BLOB) stats.files++;
    if (stats.files > limits.maxFiles) over(`the fetched commit holds more than ${limits.maxFiles} files, over --max-files`);
    if (stats.totalBytes > limits.maxTotalBytes) {
      over(`the fetched commit unpacks to more than ${bytes(limits.maxTotalBytes)}, over --max-total-size`);
    }
  }
  return stats;
}

/**
 * The pack inside an upload-pack response: pkt-lines (shallow/ACK/NAK lines), then side-band-64k
 * packets whose band 1 is pack data. Returns undefined when the response carries no pack.
 */
export function packFromUploadPackResponse(body: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos + 4 <= body.length) {
    // A server that ignores side-band sends the raw pack after its pkt-lines.
    if (body.toString("latin1", pos, pos + 4) === "PACK") return body.subarray(pos);
    const len = parseInt(body.toString("latin1", pos, pos + 4), 16);
    if (Number.isNaN(len)) throw new SourceError("the Git server sent a malformed response (bad pkt-line)");
    if (len === 0 || len === 1 || len === 2) {
      pos += 4;
      continue;
    }
    if (len < 4 || pos + len > body.length) throw new SourceError("the Git server sent a truncated response");
    const payload = body.subarray(pos + 4, pos + len);
    if (payload[0] === 1) parts.push(payload.subarray(1));
    pos += len;
  }
  return parts.length ? Buffer.concat(parts) : undefined;
}
