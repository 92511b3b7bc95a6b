/**
 * Who may read `/v1/audit` (object names, committer emails, error texts): with `--api-token-file`,
 * only requests carrying that bearer token (re-read on every request, so a rotated token works without a
 * restart); without it, only loopback clients — `kubectl port-forward` (which needs RBAC on the pod) and
 * the pod's own containers — never a peer on the network the port is open to.
 */
import { readFileSync } from "node:fs";
import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type ApiAccess = { ok: true } | { ok: false; status: 401 | 403; message: string };

const digest = (s: string) => createHash("sha256").update(s).digest();

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."));
}

export function checkApiAccess(req: IncomingMessage, tokenFile: string | undefined): ApiAccess {
  if (!tokenFile) {
    if (isLoopback(req.socket.remoteAddress)) return { ok: true };
    return { ok: false, status: 403, message: "the audit API answers loopback clients only (kubectl port-forward), or start sealsync with --api-token-file" };
  }
  let expected: string;
  try {
    expected = readFileSync(tokenFile, "utf8").trim();
  } catch {
    return { ok: false, status: 403, message: "the audit API is unavailable: its token file cannot be read" };
  }
  const header = req.headers.authorization ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  // Compare digests: equal length, constant time, whatever was sent.
  if (expected && given && timingSafeEqual(digest(given), digest(expected))) return { ok: true };
  return { ok: false, status: 401, message: "the audit API needs Authorization: Bearer <the token in --api-token-file>" };
}
