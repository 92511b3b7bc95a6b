/**
 * isomorphic-git's fetch insists on resolving the remote's HEAD, even when asked for another branch,
 * and fails with "Could not find HEAD." when HEAD names a branch that does not exist (only `main`
 * pushed, HEAD → master: common on self-hosted servers). This http client adds a HEAD line to such a
 * ref advertisement (pointing at the first advertised ref), so `--ref main` is fetched as asked. What
 * is fetched is still chosen by the explicit ref; a missing HEAD without --ref is reported before.
 */
import type { HttpClient } from "isomorphic-git";

function pktLine(text: string): Buffer {
  return Buffer.from((text.length + 4).toString(16).padStart(4, "0") + text);
}

/** The pkt-lines of a v1 upload-pack advertisement with a HEAD line added when it has none. */
export function withHeadLine(body: Buffer): Buffer {
  const lines: Buffer[] = [];
  let pos = 0;
  while (pos + 4 <= body.length) {
    const len = parseInt(body.subarray(pos, pos + 4).toString("latin1"), 16);
    if (Number.isNaN(len)) return body;
    const size = len === 0 ? 4 : len;
    lines.push(body.subarray(pos, pos + size));
    pos += size;
  }
  const texts = lines.map((l) => l.subarray(4).toString("latin1"));
  const first = texts.findIndex((t) => /^[0-9a-f]{40} /.test(t));
  if (first < 0 || texts.some((t) => /^[0-9a-f]{40} HEAD(\0|\n|$)/.test(t))) return body;
  const oid = (texts[first] as string).slice(0, 40);
  lines.splice(first + 1, 0, pktLine(`${oid} HEAD\n`));
  return Buffer.concat([...lines, body.subarray(pos)]);
}

export function tolerateDanglingHead(http: HttpClient): HttpClient {
  return {
    async request(req) {
      const res = await http.request(req);
      if (req.method !== "GET" || !/\/info\/refs\?service=git-upload-pack$/.test(req.url) || res.statusCode !== 200 || !res.body) return res;
      const chunks: Uint8Array[] = [];
      for await (const chunk of res.body) chunks.push(chunk);
      const body = withHeadLine(Buffer.concat(chunks));
      return { ...res, body: (async function* () { yield body; })() };
    },
  };
}
