/**
 * Git-provider webhook authentication, checked against the shared secret before the payload is parsed:
 *   GitHub       X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>
 *   Gitea, Gogs  X-Gitea-Signature / X-Gogs-Signature: <hex HMAC-SHA256(secret, raw body)>
 *   GitLab       X-Gitlab-Token: <the secret itself>
 * All comparisons are constant-time. When several headers are present the first in this order decides.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export type WebhookProvider = "github" | "gitea" | "gogs" | "gitlab";

export type SignatureCheck =
  | { ok: true; provider: WebhookProvider }
  | { ok: false; reason: string };

const HMAC_HEADERS: [string, WebhookProvider, string][] = [
  ["x-hub-signature-256", "github", "sha256="],
  ["x-gitea-signature", "gitea", ""],
  ["x-gogs-signature", "gogs", ""],
];
const GITLAB_HEADER = "x-gitlab-token";

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function verifySignature(headers: IncomingHttpHeaders, body: Buffer, secret: string): SignatureCheck {
  for (const [name, provider, prefix] of HMAC_HEADERS) {
    const value = header(headers, name);
    if (value === undefined) continue;
    const hex = value.trim();
    if (!hex.startsWith(prefix) || !/^[0-9a-f]{64}$/i.test(hex.slice(prefix.length))) {
      return { ok: false, reason: `malformed ${name} header (expected ${prefix}<64 hex digits>)` };
    }
    const expected = createHmac("sha256", secret).update(body).digest();
    const given = Buffer.from(hex.slice(prefix.length), "hex");
    return timingSafeEqual(given, expected) ? { ok: true, provider } : { ok: false, reason: `${name} does not match the payload and secret` };
  }
  const token = header(headers, GITLAB_HEADER);
  if (token !== undefined) {
    // Hash both sides first: equal lengths for timingSafeEqual, and no length leak.
    const digest = (s: string) => createHash("sha256").update(s).digest();
    return timingSafeEqual(digest(token), digest(secret)) ? { ok: true, provider: "gitlab" }
      : { ok: false, reason: `${GITLAB_HEADER} does not match the secret` };
  }
  return { ok: false, reason: "no signature: send X-Hub-Signature-256 (GitHub), X-Gitea-Signature, X-Gogs-Signature or X-Gitlab-Token" };
}
