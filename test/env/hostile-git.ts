/**
 * A hostile Git server for tests: a loopback proxy in front of the shared real Git server (git
 * http-backend), relaying its real responses until told to misbehave — a gzip bomb, a stalled response,
 * a redirect to another host. Optionally HTTPS with a test CA made by openssl at test time.
 */
import { execFileSync } from "node:child_process";
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createGzip } from "node:zlib";
import os from "node:os";
import path from "node:path";
import { testEnvState } from "./state.js";

export type HostileMode = "relay" | "gzip-bomb" | "stall" | "redirect";

export interface SeenRequest {
  method: string;
  path: string;
  authorization: boolean;
}

export interface HostileGit {
  /** Base URL: a repo of the shared server is at `${url}/${name}.git`. */
  url: string;
  mode: HostileMode;
  /** Only upload-pack (the pack download) misbehaves; ref listings are relayed. */
  packOnly: boolean;
  /** Where "redirect" sends clients: another host (localhost instead of 127.0.0.1). */
  redirectTo?: string;
  seen: SeenRequest[];
  stop(): Promise<void>;
}

export interface TestCa {
  /** PEM of the CA certificate (what --git-ca-file points at). */
  caFile: string;
  key: string;
  cert: string;
  dir: string;
}

/** A CA and a server certificate for 127.0.0.1, made with the real openssl. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-ca-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
    "-days", "2", "-subj", "/CN=sealsync test CA"]);
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr",
    "-subj", "/CN=127.0.0.1"]);
  writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
    "-days", "2", "-extfile", "san.ext"]);
  return { caFile: path.join(dir, "ca.pem"), key: readFileSync(path.join(dir, "server.key"), "utf8"), cert: readFileSync(path.join(dir, "server.pem"), "utf8"), dir };
}

/** 1 GiB of zeros, gzipped on the fly (about 1 MB on the wire), written while the client reads. */
function gzipBomb(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/x-git-upload-pack-result", "Content-Encoding": "gzip" });
  const gz = createGzip({ level: 9 });
  gz.pipe(res);
  const zeros = Buffer.alloc(1024 * 1024);
  let left = 1024;
  const pump = () => {
    while (left > 0) {
      left--;
      if (!gz.write(zeros)) return void gz.once("drain", pump);
    }
    gz.end();
  };
  res.on("close", () => gz.destroy());
  pump();
}

function relay(req: IncomingMessage, res: ServerResponse): void {
  const upstream = new URL(testEnvState().git.url);
  const out = request({
    host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
    headers: { ...req.headers, host: upstream.host },
  }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on("error", () => res.destroy());
  req.pipe(out);
}

export async function startHostileGit(opts: { tls?: TestCa } = {}): Promise<HostileGit> {
  const open = new Set<ServerResponse>();
  const state: HostileGit = {
    url: "", mode: "relay", packOnly: true, seen: [],
    stop: async () => undefined,
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const p = new URL(req.url ?? "/", "http://x").pathname;
    state.seen.push({ method: req.method ?? "GET", path: p, authorization: Boolean(req.headers.authorization) });
    const misbehave = state.mode !== "relay" && (!state.packOnly || p.endsWith("/git-upload-pack"));
    if (!misbehave) return relay(req, res);
    open.add(res);
    res.on("close", () => open.delete(res));
    req.resume();
    if (state.mode === "gzip-bomb") return gzipBomb(res);
    if (state.mode === "redirect") {
      res.writeHead(302, { Location: `${state.redirectTo ?? "http://localhost:1"}${req.url ?? "/"}` }).end();
      return;
    }
    // stall: headers, then nothing, ever.
    res.writeHead(200, { "Content-Type": "application/x-git-upload-pack-result" });
    res.flushHeaders();
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  state.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  state.stop = async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (opts.tls) rmSync(opts.tls.dir, { recursive: true, force: true });
  };
  return state;
}
