/**
 * A TLS-terminating proxy in front of the real kube-apiserver, presenting the apiserver's own serving
 * certificate (so the same kubeconfig CA trusts it), to break the network between a client and the
 * server on purpose: drop every connection, freeze the watch streams that are open (a connection that
 * went silent without closing), or end them with the 410 Gone a server sends when a resourceVersion is
 * too old. Everything else is forwarded byte for byte.
 */
import { readFileSync } from "node:fs";
import { createServer, request, Agent } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import type { KubeConfig } from "../../src/kube/client.js";
import { testEnvState } from "../env/state.js";

interface OpenWatch {
  res: ServerResponse;
  upstream: IncomingMessage;
  frozen: boolean;
}

export interface ApiProxy {
  /** The kubeconfig, pointed at the proxy. */
  via(kc: KubeConfig): KubeConfig;
  /** Resets every client connection. */
  dropConnections(): void;
  /** The watch streams open now stop delivering anything (they stay open); later requests pass. */
  freezeWatches(): void;
  /** Ends every open watch stream with an ERROR 410 Gone event (what was frozen is discarded). */
  expireWatches(): void;
  openWatches(): number;
  close(): Promise<void>;
}

const GONE = `${JSON.stringify({
  type: "ERROR",
  object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "too old resource version: 1 (2)", reason: "Expired", code: 410 },
})}\n`;

/** Listens on `port` (0: any free one), e.g. the port of a proxy closed earlier, as a server coming back. */
export async function startApiProxy(port = 0): Promise<ApiProxy & { port: number }> {
  const { server: target, dataDir, caFile } = testEnvState().controlPlane;
  const ca = readFileSync(caFile);
  const agent = new Agent({ ca, keepAlive: false });
  const watches = new Set<OpenWatch>();
  const sockets = new Set<Socket>();
  const server = createServer({
    cert: readFileSync(path.join(dataDir, "pki/apiserver.crt")),
    key: readFileSync(path.join(dataDir, "pki/apiserver.key")),
  }, (req, res) => {
    const url = new URL(req.url ?? "/", target);
    const up = request(url, { method: req.method, headers: { ...req.headers, host: url.host }, agent }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      if (url.searchParams.get("watch") !== "true") return void upstream.pipe(res);
      const w: OpenWatch = { res, upstream, frozen: false };
      watches.add(w);
      upstream.on("data", (chunk: Buffer) => void (w.frozen || res.write(chunk)));
      upstream.on("end", () => void (w.frozen || res.end()));
      const forget = () => {
        watches.delete(w);
        upstream.destroy();
      };
      res.on("close", forget);
      upstream.on("error", forget);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${bound}`;
  return {
    port: bound,
    via: (kc) => ({ ...kc, server: url }),
    dropConnections: () => sockets.forEach((s) => s.destroy()),
    freezeWatches: () => watches.forEach((w) => (w.frozen = true)),
    expireWatches: () => watches.forEach((w) => {
      w.frozen = true;
      w.res.end(GONE);
      w.upstream.destroy();
    }),
    openWatches: () => watches.size,
    close: () => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      agent.destroy();
      server.close(() => resolve());
    }),
  };
}
