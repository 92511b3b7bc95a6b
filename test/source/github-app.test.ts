/**
 * GitHub App credentials end to end: a small local stand-in for the GitHub API (the real one cannot be
 * reached here) checks the app's JWT with the app's public key and issues installation tokens, which the
 * real test Git server accepts. The token is cached until shortly before it expires.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { GitHubAppCredentials } from "../../src/source/github-app.js";
import { GitSource } from "../../src/source/git.js";
import { commitFiles, createRepo } from "../env/git.js";
import { testEnvState } from "../env/state.js";

interface Issued { installation: string; body: unknown; token: string }

const APP_ID = "4242";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
let api: Server;
let apiUrl: string;
const issued: Issued[] = [];
const rejected: string[] = [];
/** How long the next tokens live (GitHub: one hour). */
let lifetimeMs = 3_600_000;

/** What GitHub checks: RS256 over header.payload with the app's key, iss = app id, exp in the future, at most 10 minutes. */
function jwtValid(auth: string | undefined, key: KeyObject): boolean {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(auth ?? "");
  if (!m) return false;
  const [, h, p, s] = m as unknown as [string, string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg?: string };
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as { iss?: string; iat?: number; exp?: number };
  const now = Date.now() / 1000;
  return header.alg === "RS256" && claims.iss === APP_ID && (claims.exp ?? 0) > now && (claims.exp ?? 0) - (claims.iat ?? 0) <= 600
    && verify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"));
}

beforeAll(async () => {
  const extra = path.join(testEnvState().git.root, "extra-credentials");
  api = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (!jwtValid(req.headers.authorization, publicKey)) {
        rejected.push(req.url ?? "");
        res.writeHead(401, { "Content-Type": "application/json" }).end(JSON.stringify({ message: "A JSON web token could not be decoded" }));
        return;
      }
      if (req.method === "GET" && /^\/repos\/acme\/[\w-]+\/installation$/.test(req.url ?? "")) {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ id: 777 }));
        return;
      }
      const m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(req.url ?? "");
      if (req.method === "POST" && m) {
        const token = `ghs_${randomBytes(18).toString("hex")}`;
        issued.push({ installation: m[1] as string, body: JSON.parse(body), token });
        appendFileSync(extra, `x-access-token:${token}\n`);
        res.writeHead(201, { "Content-Type": "application/json" })
          .end(JSON.stringify({ token, expires_at: new Date(Date.now() + lifetimeMs).toISOString(), permissions: { contents: "read" } }));
        return;
      }
      res.writeHead(404).end("{}");
    });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

/** A repo at /acme/<name>.git on the real Git server, so owner/name are as on GitHub. */
async function acmeRepo() {
  const repo = createRepo("ghapp");
  const { root, url } = testEnvState().git;
  mkdirSync(path.join(root, "acme"), { recursive: true });
  const { execFileSync } = await import("node:child_process");
  execFileSync("mv", [path.join(root, `${repo.name}.git`), path.join(root, "acme", `${repo.name}.git`)]);
  execFileSync("git", ["remote", "set-url", "origin", `${url}/acme/${repo.name}.git`], { cwd: repo.workdir });
  return { ...repo, url: `${url}/acme/${repo.name}.git` };
}

function keyDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-ghapp-"));
  writeFileSync(path.join(dir, "app.pem"), privateKey.export({ type: "pkcs1", format: "pem" }));
  return dir;
}

describe("GitHub App credentials", () => {
  it("fetches with an installation token scoped to contents:read of the repo, reusing it until shortly before it expires", async () => {
    const repo = await acmeRepo();
    await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const dir = keyDir();
    const app = new GitHubAppCredentials({ appId: APP_ID, privateKeyFile: path.join(dir, "app.pem"), apiUrl, repoUrl: repo.url });
    const src = new GitSource({ allowInsecureHttp: true, url: repo.url, dataDir: dir, credentialProvider: () => app.credentials() });
    const before = issued.length;
    lifetimeMs = 3_600_000;
    expect(Buffer.from((await src.fetch()).files.get("a.yaml") ?? []).toString()).toBe("kind: A\n");
    expect(issued.slice(before).map((i) => [i.installation, i.body])).toEqual([["777", { repositories: [repo.name], permissions: { contents: "read" } }]]);
    await commitFiles(repo, { "a.yaml": "kind: B\n" });
    expect(Buffer.from((await src.fetch()).files.get("a.yaml") ?? []).toString()).toBe("kind: B\n");
    expect(issued.length - before).toBe(1); // an hour-long token is reused

    // A token that expires within the refresh margin is replaced before the next fetch.
    lifetimeMs = 4 * 60_000;
    const shortLived = new GitHubAppCredentials({ appId: APP_ID, installationId: "31", privateKeyFile: path.join(dir, "app.pem"), apiUrl, repoUrl: repo.url });
    const first = await shortLived.credentials();
    const second = await shortLived.credentials();
    expect(second.password).not.toBe(first.password);
    expect(issued.slice(-2).map((i) => i.installation)).toEqual(["31", "31"]);
  });

  it("reads Flux's GitHub App Secret keys, and says which step failed without printing the key or a token", async () => {
    const repo = await acmeRepo();
    await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const secret = mkdtempSync(path.join(os.tmpdir(), "sealsync-flux-secret-"));
    writeFileSync(path.join(secret, "githubAppID"), APP_ID);
    writeFileSync(path.join(secret, "githubAppInstallationID"), "55");
    writeFileSync(path.join(secret, "githubAppBaseURL"), apiUrl);
    writeFileSync(path.join(secret, "githubAppPrivateKey"), privateKey.export({ type: "pkcs1", format: "pem" }));
    const app = new GitHubAppCredentials({ secretDir: secret, repoUrl: repo.url });
    const src = new GitSource({ allowInsecureHttp: true, url: repo.url, dataDir: secret, credentialProvider: () => app.credentials() });
    lifetimeMs = 3_600_000;
    expect((await src.fetch()).files.has("a.yaml")).toBe(true);
    expect(issued[issued.length - 1]?.installation).toBe("55");

    // Another app's key: the API answers 401, and the message names the step.
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    writeFileSync(path.join(secret, "githubAppPrivateKey"), other.export({ type: "pkcs1", format: "pem" }));
    const wrong = new GitHubAppCredentials({ secretDir: secret, repoUrl: repo.url });
    const err = await wrong.credentials().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe("GitHub App: POST /app/installations/55/access_tokens: HTTP 401: A JSON web token could not be decoded (check --github-app-id and the private key)");
    expect(rejected.length).toBeGreaterThan(0);
  });
});
