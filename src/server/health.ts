/** `GET /healthz`: 200 while the process can answer at all (the liveness probe). */
import { allowMethods, sendText, type Handler } from "./respond.js";

export const HEALTHZ_PATH = "/healthz";

export function healthzHandler(): Handler {
  return (req, res) => {
    if (allowMethods(req, res, ["GET"])) sendText(res, 200, "ok");
  };
}
