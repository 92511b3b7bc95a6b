/**
 * `GET /readyz`: 200 when the daemon says it is ready, else 503 with the reason it gives. The daemon
 * never gates it on Git (the probe sits in the app's pod: a bad commit must not take the app out of its
 * Service); staleness is reported by status, metrics and Events instead.
 */
import { allowMethods, sendText, type Handler } from "./respond.js";

export const READYZ_PATH = "/readyz";

export type Readiness = { ready: true } | { ready: false; reason: string };

export function readyzHandler(isReady: () => Readiness | Promise<Readiness>): Handler {
  return async (req, res) => {
    if (!allowMethods(req, res, ["GET"])) return;
    const r = await isReady();
    if (r.ready) sendText(res, 200, "ok");
    else sendText(res, 503, `not ready: ${r.reason}`);
  };
}
