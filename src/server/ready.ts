/**
 * `GET /readyz`: 200 once the daemon says it is ready — the first sync was applied and the API server is
 * reachable — else 503 with the reason it gives (the readiness probe; a standby replica is ready too,
 * so that a rollout is not blocked by leader election: the daemon decides what "ready" means).
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
