/**
 * What a Git signature signs, rebuilt from the raw object (isomorphic-git's `payload` is wrong for SSH
 * signatures): for a commit, the object without its `gpgsig` (and `gpgsig-sha256`) header and that
 * header's continuation lines; for a tag, the object up to the signature block appended to its message.
 */

export interface SignedObject {
  /** The exact bytes the signature covers. */
  payload: Buffer;
  /** The armored signature, if any. */
  signature?: string;
  /** Committer / tagger time (unix seconds): when git says it was signed. */
  time?: number;
  /** Parent commits (commits only). */
  parents: string[];
  /** The tag's target (tags only). */
  object?: string;
}

function headerEnd(raw: Buffer): number {
  const i = raw.indexOf("\n\n");
  return i < 0 ? raw.length : i + 1;
}

function identityTime(line: string): number | undefined {
  const m = / (\d+) [+-]\d{4}$/.exec(line);
  return m ? Number(m[1]) : undefined;
}

export function parseCommit(raw: Buffer): SignedObject {
  const end = headerEnd(raw);
  const headers = raw.subarray(0, end).toString("utf8").split("\n");
  const kept: string[] = [];
  const sig: string[] = [];
  const parents: string[] = [];
  let time: number | undefined;
  let inSig = false;
  for (const line of headers.slice(0, -1)) {
    if (line.startsWith(" ")) {
      if (inSig) sig.push(line.slice(1));
      else kept.push(line);
      continue;
    }
    inSig = line.startsWith("gpgsig ") || line.startsWith("gpgsig-sha256 ");
    if (line.startsWith("gpgsig ")) sig.push(line.slice("gpgsig ".length));
    if (inSig) continue;
    kept.push(line);
    if (line.startsWith("parent ")) parents.push(line.slice(7).trim());
    if (line.startsWith("committer ")) time = identityTime(line);
  }
  const payload = Buffer.concat([Buffer.from(kept.map((l) => `${l}\n`).join("")), raw.subarray(end)]);
  return { payload, signature: sig.length ? `${sig.join("\n")}\n` : undefined, time, parents };
}

const SIG_START = /^-----BEGIN (PGP|SSH) SIGNATURE-----$/m;

export function parseTag(raw: Buffer): SignedObject {
  const text = raw.toString("utf8");
  const end = headerEnd(raw);
  const header = raw.subarray(0, end).toString("utf8");
  const object = /^object ([0-9a-f]{40})$/m.exec(header)?.[1];
  const tagger = /^tagger .*$/m.exec(header)?.[0];
  const body = text.slice(header.length);
  const m = SIG_START.exec(body);
  if (!m) return { payload: raw, time: tagger ? identityTime(tagger) : undefined, parents: [], object };
  const at = Buffer.byteLength(header + body.slice(0, m.index));
  return { payload: raw.subarray(0, at), signature: raw.subarray(at).toString("utf8"), time: tagger ? identityTime(tagger) : undefined, parents: [], object };
}
