/**
 * A client for the sealsync sidecar's public-key endpoints: `GET <base>/v1/recipients` (age recipients,
 * one per line) and `GET <base>/v1/cert.pem` (the certificate to seal with). Only public keys travel, and
 * each answer is checked to be one before it is used. Credentials in a URL are never echoed.
 */
import { UsageError } from "../config/usage-error.js";
import { parseAgeRecipient, AgeRecipientError } from "../crypto/age.js";
import { CERT_PATH, RECIPIENTS_PATH } from "./public-keys.js";

/** The sidecar could not be reached or did not answer with public keys (a runtime failure, not a usage error). */
export class PublicKeysFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PublicKeysFetchError";
  }
}

const TIMEOUT_MS = 15_000;
// Public keys are a few KiB; anything much larger is not what we asked for.
const MAX_BYTES = 1 << 20;

/** The URL without user:password, query or fragment, for messages. */
export function showUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

function parseHttpUrl(value: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} ${value}: not a URL; give the sidecar's address, e.g. http://127.0.0.1:9090 (after \`kubectl port-forward deploy/APP 9090\`)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${flag} ${showUrl(url)}: only http:// and https:// URLs are supported`);
  }
  return url;
}

/** The sidecar's base URL from `--from`; the address of either endpoint is accepted too. */
export function daemonBaseUrl(value: string, flag = "--from"): URL {
  const url = parseHttpUrl(value, flag);
  url.pathname = url.pathname.replace(/\/v1\/(recipients|cert\.pem)\/?$/, "").replace(/\/+$/, "");
  url.search = "";
  url.hash = "";
  return url;
}

export function endpointUrl(base: URL, endpoint: string): URL {
  const url = new URL(base);
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${endpoint}`;
  return url;
}

/** A certificate URL for `--cert`: as given, or the sidecar's `/v1/cert.pem` when only its address is. */
export function certUrl(value: string): URL {
  const url = parseHttpUrl(value, "--cert");
  return url.pathname === "/" || url.pathname === "" ? endpointUrl(url, CERT_PATH) : url;
}

/** What an endpoint answered: its body, or (404) the server's explanation that it has no such keys. */
export type Fetched = { found: true; text: string } | { found: false; reason: string };

export async function fetchPublic(url: URL): Promise<Fetched> {
  const shown = showUrl(url);
  const headers: Record<string, string> = { accept: "text/plain, application/x-pem-file" };
  const target = new URL(url);
  // fetch refuses user:password in a URL; send it as Basic auth (e.g. for a proxy in front of the sidecar).
  if (target.username || target.password) {
    const user = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(user, "utf8").toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS), headers });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new PublicKeysFetchError(
      `GET ${shown}: cannot connect (${why}); is the sealsync sidecar reachable there? e.g. \`kubectl port-forward -n NS deploy/APP 9090\``,
    );
  }
  const body = await readBody(res, shown);
  if (res.status === 404) return { found: false, reason: firstLine(body) || "404 Not Found" };
  if (!res.ok) throw new PublicKeysFetchError(`GET ${shown}: HTTP ${res.status}${body ? ` (${firstLine(body)})` : ""}`);
  return { found: true, text: body };
}

async function readBody(res: Response, shown: string): Promise<string> {
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > MAX_BYTES) {
      await res.body.cancel().catch(() => undefined);
      throw new PublicKeysFetchError(`GET ${shown}: the answer is larger than ${MAX_BYTES >> 20} MiB, which public keys never are; is this a sealsync sidecar?`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function firstLine(text: string): string {
  return (text.split("\n", 1)[0] ?? "").trim().slice(0, 200);
}

/** The age recipients the sidecar serves (possibly none), each checked to be a recipient. */
export async function fetchRecipients(base: URL): Promise<{ recipients: string[] } | { reason: string }> {
  const url = endpointUrl(base, RECIPIENTS_PATH);
  const got = await fetchPublic(url);
  if (!got.found) return { reason: got.reason };
  const recipients: string[] = [];
  got.text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    try {
      recipients.push(parseAgeRecipient(line));
    } catch (err) {
      if (!(err instanceof AgeRecipientError)) throw err;
      throw new PublicKeysFetchError(`GET ${showUrl(url)}: line ${i + 1} is not an age recipient; is this a sealsync sidecar?`);
    }
  });
  return { recipients };
}

/** The certificate PEM the sidecar (or any URL given to --cert) serves. */
export async function fetchCertificatePem(url: URL): Promise<{ pem: string } | { reason: string }> {
  const got = await fetchPublic(url);
  return got.found ? { pem: got.text } : { reason: got.reason };
}
