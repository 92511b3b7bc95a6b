/**
 * The HTTP client isomorphic-git talks to the Git server through, written for a server that may be
 * hostile (isomorphic-git's own follows any redirect with the credentials, accepts gzip it cannot bound,
 * and hands over every pack to be inflated in full):
 * - every request carries the fetch's AbortSignal (a deadline; SIGTERM);
 * - no compression is offered, and a compressed response is refused (its size cannot be bounded);
 * - every response body is capped; an upload-pack response's pack is screened by its objects' declared
 *   sizes (pack-screen.ts) before isomorphic-git sees a byte of it;
 * - redirects are followed only within the same origin (scheme, host, port): credentials never go
 *   to another host or over a downgraded scheme;
 * - http:// only when allowed (--allow-insecure-http); HTTPS may trust an extra CA (--git-ca-file).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { GitHttpRequest, GitHttpResponse, HttpClient } from "isomorphic-git";
import { FetchLimitError, packFromUploadPackResponse, screenPack, type PackLimits } from "./pack-screen.js";
import { SourceError } from "./revision.js";

export interface GitHttpOptions {
  limits: PackLimits;
  /** Aborts every request (deadline, shutdown). */
  signal?: AbortSignal;
  allowInsecureHttp?: boolean;
  /** Extra trusted CA certificates (PEM), on top of Node's. */
  ca?: string;
}

/** Ref listings and other small responses: far more than any real one. */
const MAX_SMALL_RESPONSE = 16 * 1024 * 1024;
const MAX_REDIRECTS = 5;

/** Compressed pack bytes can slightly exceed what they inflate to (zlib framing, pkt-lines, headers). */
export function maxPackResponseBytes(limits: PackLimits): number {
  return Math.ceil(limits.maxTotalBytes * 1.05) + limits.maxFiles * 64 + 4 * 1024 * 1024;
}

function flattenHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

async function collect(body: GitHttpRequest["body"]): Promise<Buffer | undefined> {
  if (!body) return undefined;
  const parts: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(chunk);
  return Buffer.concat(parts);
}

export function gitHttpClient(opts: GitHttpOptions): HttpClient {
  const send = (url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const requestFn = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = requestFn(url, {
        method, headers, signal: opts.signal,
        ...(url.protocol === "https:" && opts.ca ? { ca: opts.ca } : {}),
      }, resolve);
      req.on("error", reject);
      req.end(body);
    });

  /** Reads a body up to `cap` bytes; more is refused, not truncated. */
  const read = async (res: IncomingMessage, cap: number, what: string): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > cap) {
        res.destroy();
        throw new FetchLimitError(`the Git server's ${what} is over ${cap} bytes; refused (see --max-total-size)`);
      }
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  };

  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      let url = new URL(req.url);
      const method = (req.method ?? "GET").toUpperCase();
      const body = await collect(req.body);
      // Ask for identity encoding: gzip's size cannot be known before inflating it.
      const headers: Record<string, string> = { ...req.headers, "accept-encoding": "identity" };
      delete headers["Accept-Encoding"];
      if (body) headers["content-length"] = String(body.length);
      for (let redirects = 0; ; redirects++) {
        if (url.protocol === "http:" && !opts.allowInsecureHttp) {
          throw new SourceError(`refusing plain http:// (${url.origin}): use https://, or --allow-insecure-http on a trusted network`);
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new SourceError(`refusing ${url.protocol} URL ${url.origin}`);
        const res = await send(url, method, headers, body);
        const location = res.headers.location;
        if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
          res.resume();
          const next = new URL(location, url);
          if (next.origin !== url.origin) {
            throw new SourceError(`the Git server redirected from ${url.origin} to ${next.origin}; refused (credentials are never sent to another host or over a downgraded scheme): point --repo at the final URL`);
          }
          if (redirects >= MAX_REDIRECTS) throw new SourceError(`the Git server redirected more than ${MAX_REDIRECTS} times; refused`);
          url = next;
          continue;
        }
        const encoding = (res.headers["content-encoding"] ?? "identity").toLowerCase();
        if (encoding !== "identity") {
          res.destroy();
          throw new SourceError(`the Git server sent a compressed response (Content-Encoding: ${encoding}) although none was asked for; refused, as its size cannot be bounded`);
        }
        const isPack = method === "POST" && url.pathname.endsWith("/git-upload-pack") && res.statusCode === 200;
        const data = await read(res, isPack ? maxPackResponseBytes(opts.limits) : MAX_SMALL_RESPONSE, isPack ? "pack" : "response");
        if (isPack) {
          const pack = packFromUploadPackResponse(data);
          if (pack) screenPack(pack, opts.limits);
        }
        return {
          url: url.toString(), method, statusCode: res.statusCode ?? 0, statusMessage: res.statusMessage ?? "",
          headers: flattenHeaders(res), body: [new Uint8Array(data.buffer, data.byteOffset, data.length)] as unknown as GitHttpResponse["body"],
        };
      }
    },
  };
}
