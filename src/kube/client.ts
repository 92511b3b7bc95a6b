/**
 * A thin Kubernetes REST client: the kubeconfig supplies auth and TLS; bodies are sent and returned as
 * plain JSON, verbatim. (@kubernetes/client-node's generated models drop fields they do not know — CRD
 * fields, newer API fields — which a GitOps apply must never do.)
 */
import { Agent, request, type RequestOptions } from "node:https";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import type { KubeConfig } from "./kubeconfig.js";

export { loadKubeConfig, type KubeConfig } from "./kubeconfig.js";

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** An API error with the server's status and message (the body never holds our secret values: we send them, it does not echo them). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

export interface RequestOpts {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | undefined>;
  /** Resolve with the status instead of throwing on these codes (e.g. 404). */
  allow?: number[];
  signal?: AbortSignal;
  /** A POST that stores nothing (a SelfSubjectReview): counted as "REVIEW", not as a write. */
  review?: boolean;
}

/** The namespace to work in when none is given: the pod's (or the kubeconfig context's), else "default". */
export function defaultNamespace(kc: KubeConfig): string {
  return kc.namespace || "default";
}

/** Deadline of one API request (not of watches, which hold their connection on purpose). */
const REQUEST_TIMEOUT_MS = 60_000;

export class KubeClient {
  /** Requests sent, by method ("DRYRUN" for dry-run writes, "REVIEW" for reviews) — benchmarks and the no-write guarantee read it. */
  readonly requestCount: Record<string, number> = {};
  private readonly server: URL;
  private agent?: Agent | HttpAgent;
  /** Watches hold their connection for minutes: they get their own, unpooled ones, never the 16 requests share. */
  private streamAgent?: Agent | HttpAgent;

  constructor(readonly kubeConfig: KubeConfig) {
    this.server = new URL(kubeConfig.server);
  }

  get writes(): number {
    return ["POST", "PUT", "PATCH", "DELETE"].reduce((n, m) => n + (this.requestCount[m] ?? 0), 0);
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOpts = {}): Promise<KubeResponse<T>> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const options = await this.options(method);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    if (payload) {
      (options.headers as Record<string, string>)["Content-Type"] = opts.contentType ?? "application/json";
      // Node sends DELETE bodies neither chunked nor with a length unless told; on a kept-alive
      // connection the server then reads them as the next request.
      (options.headers as Record<string, string>)["Content-Length"] = String(payload.length);
    }
    const counted = opts.query?.dryRun ? "DRYRUN" : opts.review ? "REVIEW" : method;
    this.requestCount[counted] = (this.requestCount[counted] ?? 0) + 1;

    const send = url.protocol === "http:" ? httpRequest : request;
    // Every call has a deadline: an API server (or proxy) that stops answering must not wedge a pass.
    const deadline = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = send(url, { ...options, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", (err) => reject(deadline.aborted
        ? new KubeApiError(504, "Timeout", `${method} ${url.pathname}: no answer from the API server within ${REQUEST_TIMEOUT_MS / 1000} s`)
        : err));
      req.end(payload);
    });
    const body = (text ? safeJson(text) : undefined) as T;
    if (status >= 400 && !(opts.allow ?? []).includes(status)) {
      const st = (typeof body === "object" && body ? body : {}) as { reason?: string; message?: string; details?: unknown };
      throw new KubeApiError(status, st.reason ?? String(status),
        `${method} ${url.pathname}: ${st.message ?? (text.slice(0, 200) || `HTTP ${status}`)}`, st.details);
    }
    return { status, body };
  }

  /** Opens a streaming GET (for watches); the caller consumes the response. */
  async stream(path: string, query: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const options = await this.options("GET", true);
    const send = url.protocol === "http:" ? httpRequest : request;
    return new Promise((resolve, reject) => {
      const req = send(url, { ...options, signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => reject(new KubeApiError(res.statusCode ?? 0, "WatchFailed",
            `watch ${url.pathname}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`)));
          return;
        }
        resolve(res);
      });
      req.on("error", reject);
      req.end();
    });
  }

  close(): void {
    this.agent?.destroy();
    this.streamAgent?.destroy();
  }

  /** Request options; the Authorization header is fetched per request so rotated tokens are picked up. */
  private async options(method: string, streaming = false): Promise<RequestOptions> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const auth = await this.kubeConfig.authorization();
    if (auth) headers.Authorization = auth;
    const pool = streaming ? { keepAlive: false } : { keepAlive: true, maxSockets: 16 };
    const agent = () => (this.server.protocol === "http:"
      ? new HttpAgent(pool)
      : new Agent({
        ...pool,
        ca: this.kubeConfig.ca,
        cert: this.kubeConfig.cert,
        key: this.kubeConfig.key,
        rejectUnauthorized: !this.kubeConfig.insecureSkipTlsVerify,
      }));
    if (streaming) return { method, headers, agent: (this.streamAgent ??= agent()) };
    return { method, headers, agent: (this.agent ??= agent()) };
  }
}

/** JSON bodies parse; anything else (e.g. /metrics text) is returned as the string itself. */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
