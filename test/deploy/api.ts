/**
 * Raw API calls with a bearer token, for asking the real API server's authorizer what a token may do.
 * Deliberately independent of src/kube: these tests judge deploy/'s RBAC, not our client.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { testEnvState } from "../env/state.js";

export interface ApiResult {
  status: number;
  body: Record<string, unknown> | undefined;
}

export interface ApiCall {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string>;
}

export function apiAs(token: string): (method: string, path: string, opts?: ApiCall) => Promise<ApiResult> {
  const { server, caFile } = testEnvState().controlPlane;
  const ca = readFileSync(caFile);
  return (method, path, opts = {}) => new Promise((resolve, reject) => {
    const url = new URL(path, server);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const req = request(url, { method, headers, ca, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: Record<string, unknown> | undefined;
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        } catch {
          body = undefined; // A watch stream is several JSON lines; only its status matters here.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.on("error", reject);
    req.end(payload);
  });
}
