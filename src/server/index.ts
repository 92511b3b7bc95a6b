/**
 * The daemon's one HTTP port. Routes (each handler in its own module):
 *   GET  /healthz         200 while the process runs and its loop completes passes (isLive)
 *   GET  /readyz          200 when isReady() says so, else 503 with its reason
 *   GET  /metrics         Prometheus text (when `metrics` is given)
 *   POST /hooks/git       signed push webhook → onPush(ref) (when `webhook` is given)
 *   GET  /v1/recipients   public age recipients, one per line   } when `publicKeys`
 *   GET  /v1/cert.pem     the newest sealing certificate         } is given
 *   GET  /v1/audit        the audit log, read-only (when `auditFile` is given): bearer token from
 *                         `apiTokenFile`, or loopback clients only without one (see api-auth.ts)
 * Anything else is a 404. Nothing served here decrypts. A handler that throws answers 500 with no
 * detail; the error goes to onError for the log.
 *
 *   const srv = await startServer({ listen: ":9090", isReady, metrics, webhook, publicKeys, auditFile });
 *   srv.url  // "http://127.0.0.1:9090"
 *   await srv.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AUDIT_PATH, createAuditHandler } from "../audit/http.js";
import type { Metrics } from "../metrics.js";
import { checkApiAccess } from "./api-auth.js";
import { HEALTHZ_PATH, healthzHandler, type Liveness } from "./health.js";
import { parseListen } from "./listen.js";
import { METRICS_PATH, metricsHandler } from "./metrics.js";
import { CERT_PATH, RECIPIENTS_PATH, certHandler, recipientsHandler, type PublicKeysProvider } from "./public-keys.js";
import { READYZ_PATH, readyzHandler, type Readiness } from "./ready.js";
import { sendText, type Handler } from "./respond.js";
import { WEBHOOK_PATH, webhookHandler, type WebhookOptions } from "./webhook.js";

export type { Readiness } from "./ready.js";
export type { PublicKeys, PublicKeysProvider } from "./public-keys.js";
export type { WebhookOptions } from "./webhook.js";
export { parseListen, ListenAddressError, type ListenAddress } from "./listen.js";
export { refMatches, DEFAULT_WEBHOOK_MAX_BYTES } from "./webhook.js";
export { verifySignature, type SignatureCheck, type WebhookProvider } from "./signature.js";

export interface ServerOptions {
  /** "[HOST:]PORT"; ":0" picks a free port (tests). */
  listen: string;
  isReady: () => Readiness | Promise<Readiness>;
  /** Liveness beyond "the process answers" (a wedged loop); default always live. */
  isLive?: () => Liveness;
  metrics?: Pick<Metrics, "contentType" | "text">;
  /** Enables /hooks/git (the daemon's --webhook-secret-file). */
  webhook?: WebhookOptions;
  publicKeys?: PublicKeysProvider;
  /** The active audit log file; enables /v1/audit. */
  auditFile?: string;
  /** Bearer token file for /v1/audit (--api-token-file). */
  apiTokenFile?: string;
  /** A handler failed (the client got a bare 500). */
  onError?: (err: unknown, path: string) => void;
}

export interface RunningServer {
  /** Base URL on loopback when listening on every interface, e.g. "http://127.0.0.1:9090". */
  url: string;
  server: Server;
  /** Stops accepting, ends idle and open connections (watching clients of /v1/audit included). */
  close(): Promise<void>;
}

function routes(opts: ServerOptions): Map<string, Handler> {
  const r = new Map<string, Handler>([
    [HEALTHZ_PATH, healthzHandler(opts.isLive, (reason) => opts.onError?.(new Error(reason), HEALTHZ_PATH))],
    [READYZ_PATH, readyzHandler(opts.isReady)],
  ]);
  if (opts.metrics) r.set(METRICS_PATH, metricsHandler(opts.metrics));
  if (opts.webhook) r.set(WEBHOOK_PATH, webhookHandler(opts.webhook));
  if (opts.publicKeys) {
    r.set(RECIPIENTS_PATH, recipientsHandler(opts.publicKeys));
    r.set(CERT_PATH, certHandler(opts.publicKeys));
  }
  if (opts.auditFile) {
    const audit = createAuditHandler({ file: opts.auditFile });
    r.set(AUDIT_PATH, async (req, res) => {
      const access = checkApiAccess(req, opts.apiTokenFile);
      if (access.ok) return audit(req, res);
      sendText(res, access.status, access.message, access.status === 401 ? { "www-authenticate": 'Bearer realm="sealsync"' } : {});
    });
  }
  return r;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen);
  const table = routes(opts);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const handler = table.get(path);
    if (!handler) {
      const hint = path === WEBHOOK_PATH ? ": the webhook is disabled (start with --webhook-secret-file)" : "";
      return sendText(res, 404, `not found${hint}`);
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        opts.onError?.(err, path);
        if (!res.headersSent) sendText(res, 500, "internal error; see the daemon's log", { connection: "close" });
        else res.destroy();
      });
  });
  // Slow or idle clients must not pin the daemon's sockets.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const any = !host || addr.address === "0.0.0.0" || addr.address === "::";
  const shown = any ? "127.0.0.1" : addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}`,
    server,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}
