/**
 * `GET /healthz`: the liveness probe — 200 while the process answers and its loop still completes
 * passes, else 503 (a wedged loop: only a restart helps). The body stays generic: it is public.
 */
import { allowMethods, sendText, type Handler } from "./respond.js";

export const HEALTHZ_PATH = "/healthz";

export type Liveness = { ok: true } | { ok: false; reason: string };

export function healthzHandler(isLive: () => Liveness = () => ({ ok: true }), onUnhealthy?: (reason: string) => void): Handler {
  return (req, res) => {
    if (!allowMethods(req, res, ["GET"])) return;
    const live = isLive();
    if (live.ok) return sendText(res, 200, "ok");
    onUnhealthy?.(live.reason);
    sendText(res, 503, "unhealthy: the sync loop is stuck (see the log)");
  };
}
