/**
 * Git credentials from a GitHub App: a short-lived JWT (RS256, signed with node:crypto) is exchanged for
 * an installation token scoped to contents:read of the one repository being synced. The token is cached
 * until 5 minutes before it expires, then replaced; it is never logged (errors name the step and the
 * HTTP status, never a token or the key). Settings come from flags or from a folder holding Flux's
 * GitHub App Secret keys (githubAppID, githubAppInstallationID, githubAppInstallationOwner,
 * githubAppPrivateKey, githubAppBaseURL), so an existing Flux Secret can be mounted as is.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { GitCredentials } from "./credentials.js";
import { SourceError } from "./revision.js";

export interface GitHubAppOptions {
  appId?: string;
  installationId?: string;
  /** Looked up from the repository when no installation id is given. */
  installationOwner?: string;
  privateKeyFile?: string;
  /** Default https://api.github.com; GitHub Enterprise: https://HOST/api/v3. */
  apiUrl?: string;
  /** A mounted Flux GitHub App Secret: its keys fill what the flags leave unset. */
  secretDir?: string;
  /** The repository URL being synced (owner/name are its last two path segments). */
  repoUrl: string;
}

/** Refresh this long before the token expires. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

const FLUX_KEYS = {
  appId: "githubAppID",
  installationId: "githubAppInstallationID",
  installationOwner: "githubAppInstallationOwner",
  apiUrl: "githubAppBaseURL",
} as const;

export class GitHubAppError extends SourceError {
  constructor(message: string) {
    super(`GitHub App: ${message}`);
    this.name = "GitHubAppError";
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** The app's JWT: iat 60 s in the past (clock drift, as GitHub advises), valid 9 minutes. */
export function appJwt(appId: string, key: KeyObject, now = Date.now()): string {
  const iat = Math.floor(now / 1000) - 60;
  const unsigned = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${base64url(JSON.stringify({ iat, exp: iat + 600, iss: appId }))}`;
  return `${unsigned}.${base64url(sign("sha256", Buffer.from(unsigned), key))}`;
}

export function repoOf(url: string): { owner: string; name: string } {
  const parts = new URL(url).pathname.replace(/\.git$/, "").split("/").filter(Boolean);
  const [owner, name] = parts.slice(-2);
  if (!owner || !name) throw new GitHubAppError(`cannot tell owner/repository from ${url} (expected https://github.com/OWNER/REPO.git)`);
  return { owner, name };
}

export class GitHubAppCredentials {
  #cached?: { token: string; expiresAt: number };
  readonly #opts: Required<Pick<GitHubAppOptions, "appId" | "apiUrl">> & GitHubAppOptions;
  readonly #repo: { owner: string; name: string };

  constructor(opts: GitHubAppOptions) {
    const fromSecret = (key: string): string | undefined => {
      if (!opts.secretDir) return undefined;
      const file = path.join(opts.secretDir, key);
      return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
    };
    const appId = opts.appId ?? fromSecret(FLUX_KEYS.appId);
    if (!appId) throw new GitHubAppError("the app id is missing: set --github-app-id (or githubAppID in --github-app-secret-dir)");
    this.#opts = {
      ...opts,
      appId,
      installationId: opts.installationId ?? fromSecret(FLUX_KEYS.installationId),
      installationOwner: opts.installationOwner ?? fromSecret(FLUX_KEYS.installationOwner),
      apiUrl: (opts.apiUrl ?? fromSecret(FLUX_KEYS.apiUrl) ?? "https://api.github.com").replace(/\/+$/, ""),
    };
    if (!opts.privateKeyFile && !(opts.secretDir && existsSync(path.join(opts.secretDir, "githubAppPrivateKey")))) {
      throw new GitHubAppError("the private key is missing: set --github-app-private-key-file (or githubAppPrivateKey in --github-app-secret-dir)");
    }
    this.#repo = repoOf(opts.repoUrl);
    this.#key(); // fail at start-up on an unreadable key, not at the first fetch
  }

  /** Re-read on every exchange, so a rotated key Secret works without a restart. */
  #key(): KeyObject {
    const file = this.#opts.privateKeyFile ?? path.join(this.#opts.secretDir as string, "githubAppPrivateKey");
    try {
      const key = createPrivateKey(readFileSync(file));
      if (key.asymmetricKeyType !== "rsa") throw new Error("not an RSA key");
      return key;
    } catch (err) {
      throw new GitHubAppError(`cannot read the app's private key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  async #call(method: string, route: string, jwt: string, body?: unknown): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(`${this.#opts.apiUrl}${route}`, {
        method,
        headers: { Authorization: `Bearer ${jwt}`, Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "sealsync" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new GitHubAppError(`${method} ${this.#opts.apiUrl}${route} failed: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      const why = (() => {
        try {
          return String((JSON.parse(text) as { message?: unknown }).message ?? "");
        } catch {
          return "";
        }
      })();
      const hint = res.status === 401 ? " (check --github-app-id and the private key)" : res.status === 404 ? " (is the app installed on this repository?)" : "";
      throw new GitHubAppError(`${method} ${route}: HTTP ${res.status}${why ? `: ${why.slice(0, 200)}` : ""}${hint}`);
    }
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** Git credentials with a valid installation token (cached until shortly before it expires). */
  async credentials(now = Date.now()): Promise<GitCredentials> {
    if (this.#cached && this.#cached.expiresAt - REFRESH_MARGIN_MS > now) return { username: "x-access-token", password: this.#cached.token };
    const jwt = appJwt(this.#opts.appId, this.#key(), now);
    let installation = this.#opts.installationId;
    if (!installation) {
      const owner = this.#opts.installationOwner;
      const route = owner && owner !== this.#repo.owner
        ? `/users/${encodeURIComponent(owner)}/installation`
        : `/repos/${encodeURIComponent(this.#repo.owner)}/${encodeURIComponent(this.#repo.name)}/installation`;
      installation = String((await this.#call("GET", route, jwt)).id ?? "");
      if (!installation) throw new GitHubAppError(`GET ${route}: no installation id in the answer`);
    }
    const answer = await this.#call("POST", `/app/installations/${encodeURIComponent(installation)}/access_tokens`, jwt,
      { repositories: [this.#repo.name], permissions: { contents: "read" } });
    const token = answer.token;
    const expiresAt = Date.parse(String(answer.expires_at));
    if (typeof token !== "string" || !token || Number.isNaN(expiresAt)) throw new GitHubAppError("the access token answer has no token or expires_at");
    this.#cached = { token, expiresAt };
    return { username: "x-access-token", password: token };
  }
}
