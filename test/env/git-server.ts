/**
 * A real Git smart-HTTP server for tests: `git http-backend` (CGI) behind a small Node HTTP server on
 * a free loopback port, with HTTP Basic auth. Repos are bare folders under `root`.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes, timingSafeEqual } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { testAssets } from "./assets.js";

export interface GitServerInfo {
  /** http://127.0.0.1:PORT — a repo is at `${url}/${name}.git`. */
  url: string;
  username: string;
  password: string;
  /** Folder holding the bare repos. */
  root: string;
  /** File with one line per request path (e.g. "/app.git/info/refs"), so tests can count fetches. */
  requestLog: string;
}

export interface GitServer extends GitServerInfo {
  stop(): Promise<void>;
}

/** The fixed credentials, or one of the "user:token" lines tests add to `<root>/extra-credentials` (tokens they issued). */
function authorized(req: IncomingMessage, expected: Buffer, extraFile: string): boolean {
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return false;
  const given = Buffer.from(header.slice(6).trim(), "base64");
  if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  return existsSync(extraFile) && readFileSync(extraFile, "utf8").split("\n").some((l) => l !== "" && l === given.toString());
}

/** Runs http-backend for one request and relays its CGI response. */
function serveCgi(req: IncomingMessage, res: ServerResponse, root: string, user: string, backend: string): void {
  const url = new URL(req.url ?? "/", "http://x");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    REQUEST_METHOD: req.method,
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    GATEWAY_INTERFACE: "CGI/1.1",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);

  const cgi = spawn(backend, [], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(cgi.stdin);
  cgi.stdin.on("error", () => undefined);
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const sep = head.indexOf("\r\n\r\n") >= 0 ? head.indexOf("\r\n\r\n") : head.indexOf("\n\n");
    if (sep < 0) return;
    const sepLen = head[sep] === 0x0d ? 4 : 2;
    let status = 200;
    for (const line of head.subarray(0, sep).toString("latin1").split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === "status") status = parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    headersDone = true;
    res.write(head.subarray(sep + sepLen));
  });
  let stderr = "";
  cgi.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  cgi.on("close", (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend failed (${code}): ${stderr}`);
    } else {
      res.end();
    }
  });
}

export async function startGitServer(): Promise<GitServer> {
  const { gitHttpBackend } = testAssets();
  const root = mkdtempSync(path.join(os.tmpdir(), "sealsync-git-"));
  const username = "sealsync-test";
  const password = randomBytes(16).toString("hex");
  const expected = Buffer.from(`${username}:${password}`);
  const requestLog = path.join(root, "requests.log");
  const server = createServer((req, res) => {
    appendFileSync(requestLog, `${req.method} ${new URL(req.url ?? "/", "http://x").pathname}\n`);
    if (!authorized(req, expected, path.join(root, "extra-credentials"))) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="sealsync-test"' }).end("authentication required\n");
      return;
    }
    serveCgi(req, res, root, username, gitHttpBackend);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr !== "object") throw new Error("git server has no address");
  return {
    url: `http://127.0.0.1:${addr.port}`,
    username,
    password,
    root,
    requestLog,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
