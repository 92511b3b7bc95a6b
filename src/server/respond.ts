/** Small response helpers shared by the handlers: plain text, never cached, never sniffed. */
import type { IncomingMessage, ServerResponse } from "node:http";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function sendText(res: ServerResponse, status: number, text: string,
  headers: Record<string, string> = {}): void {
  const body = text.endsWith("\n") ? text : `${text}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** 405 unless the method is one of `allowed` (HEAD is allowed wherever GET is). */
export function allowMethods(req: IncomingMessage, res: ServerResponse, allowed: string[]): boolean {
  const all = allowed.includes("GET") ? [...allowed, "HEAD"] : allowed;
  if (all.includes(req.method ?? "")) return true;
  sendText(res, 405, `method ${req.method} not allowed; use ${allowed.join(" or ")}`, { allow: all.join(", ") });
  return false;
}
