/**
 * `POST /hooks/git`: a push notification from the Git host triggers a fetch at once.
 *   1. read the raw body (at most maxBodyBytes, else 413),
 *   2. re-read the shared secret from its file (so a rotated secret applies without restart),
 *   3. verify the provider's signature or token (401 when missing or wrong; see signature.ts),
 *   4. parse `ref` from the JSON payload (or GitHub's form-encoded `payload=`),
 *   5. refuse a replay: a signed body already received in the last hour → 409 (the signature covers the
 *      body only, and delivery-id headers are unsigned, so the body's digest is the delivery's identity),
 *   6. call onPush(ref) when it is the watched branch (any ref when none is set) → 200, else 202 "ignored".
 * The payload is otherwise untrusted and unused: the fetch itself decides what the new revision is.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { BodyTooLargeError, readBody } from "./body.js";
import { allowMethods, sendText, type Handler } from "./respond.js";
import { verifySignature } from "./signature.js";

export const WEBHOOK_PATH = "/hooks/git";
export const DEFAULT_WEBHOOK_MAX_BYTES = 1024 * 1024;

export interface WebhookOptions {
  /** File holding the shared secret (surrounding whitespace is ignored); read on every request. */
  secretFile: string;
  /** The branch (or tag) the daemon follows, "main" or "refs/heads/main"; unset: every push triggers. */
  branch?: string;
  /** Called for a verified push to the watched ref; should only wake the loop, not wait for the sync. */
  onPush: (ref: string) => void;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Whether a pushed ref ("refs/heads/main") is the watched one ("main", "refs/heads/main", or a tag name). */
export function refMatches(pushed: string, watched: string | undefined): boolean {
  if (!watched) return true;
  return pushed === watched || pushed === `refs/heads/${watched}` || pushed === `refs/tags/${watched}`;
}

/** The payload's `ref`: a JSON body, or GitHub's form delivery (`payload=<JSON>`). */
function parseRef(body: Buffer): string | undefined {
  const text = body.toString("utf8");
  // JSON first whatever the Content-Type says (curl -d labels JSON as a form).
  const form = text.trimStart().startsWith("{") ? null : new URLSearchParams(text).get("payload");
  const payload: unknown = JSON.parse(form ?? text);
  const ref = (payload as { ref?: unknown } | null)?.ref;
  return typeof ref === "string" ? ref : undefined;
}

/** How long, and how many, delivered bodies are remembered to refuse their replay. */
const REPLAY_WINDOW_MS = 3_600_000;
const REPLAY_MEMORY = 1000;

/** Digests of recently accepted deliveries, oldest first (Map keeps insertion order). */
class DeliveryMemory {
  readonly #seen = new Map<string, number>();

  /** True the first time a body is seen in the window; false for a replay. */
  firstTime(body: Buffer, now = Date.now()): boolean {
    for (const [digest, at] of this.#seen) {
      if (now - at <= REPLAY_WINDOW_MS && this.#seen.size <= REPLAY_MEMORY) break;
      this.#seen.delete(digest);
    }
    const digest = createHash("sha256").update(body).digest("hex");
    if (this.#seen.has(digest)) return false;
    this.#seen.set(digest, now);
    return true;
  }
}

export function webhookHandler(opts: WebhookOptions): Handler {
  const limit = opts.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BYTES;
  const deliveries = new DeliveryMemory();
  return async (req, res) => {
    if (!allowMethods(req, res, ["POST"])) return;
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (err) {
      // The rest of the body is not read: close the connection rather than parse it as a request.
      if (err instanceof BodyTooLargeError) return sendText(res, 413, `payload larger than ${limit} bytes`, { connection: "close" });
      throw err;
    }
    const secret = (await readFile(opts.secretFile, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the webhook secret file ${opts.secretFile} (${err.code ?? "error"})`);
    })).trim();
    if (!secret) throw new Error(`the webhook secret file ${opts.secretFile} is empty`);

    const check = verifySignature(req.headers, body, secret);
    if (!check.ok) return sendText(res, 401, `unauthorized: ${check.reason}`);
    if (!deliveries.firstTime(body)) return sendText(res, 409, "ignored: this delivery was already received (a replay)");

    let ref: string | undefined;
    try {
      ref = parseRef(body);
    } catch {
      return sendText(res, 400, "the payload is not JSON (nor a form with a JSON `payload` field)");
    }
    if (ref === undefined) return sendText(res, 202, "ignored: the payload has no ref (not a push event)");
    if (!refMatches(ref, opts.branch)) return sendText(res, 202, `ignored: ${ref.slice(0, 200)} is not ${opts.branch}`);
    opts.onPush(ref);
    sendText(res, 200, `fetch triggered by a push to ${ref.slice(0, 200)}`);
  };
}
