/** `GET /metrics`: the Prometheus exposition of the daemon's own registry. */
import type { Metrics } from "../metrics.js";
import { allowMethods, type Handler } from "./respond.js";

export const METRICS_PATH = "/metrics";

export function metricsHandler(metrics: Pick<Metrics, "contentType" | "text">): Handler {
  return async (req, res) => {
    if (!allowMethods(req, res, ["GET"])) return;
    const body = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  };
}
