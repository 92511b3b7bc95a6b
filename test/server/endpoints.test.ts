/** The daemon's HTTP port over loopback: health, readiness, metrics, public keys, the audit mount, routing. */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AuditLog } from "../../src/audit/index.js";
import { generateAgeIdentity } from "../../src/crypto/age.js";
import { generateSealingKeyPair } from "../../src/crypto/sealed/keygen.js";
import { createMetrics } from "../../src/metrics.js";
import { parseListen, startServer, type PublicKeys, type Readiness, type RunningServer } from "../../src/server/index.js";

let dir: string;
let srv: RunningServer;
let bare: RunningServer;
let readiness: Readiness;
let keys: PublicKeys;
let certPem: string;
let keyPem: string;
let recipients: string[];
const errors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sealsync-server-"));
  const auditFile = path.join(dir, "audit.jsonl");
  const log = await AuditLog.open({ file: auditFile });
  await log.append({ action: "daemon-start", version: "0.1.0", namespace: "shop", identity: "pod-a", pid: 1 });
  await log.close();
  const pair = await generateSealingKeyPair({ bits: 2048 });
  certPem = pair.certPem;
  keyPem = pair.keyPem;
  const ids = [await generateAgeIdentity(), await generateAgeIdentity({ postQuantum: true })];
  recipients = ids.map((i) => i.recipient);
  keys = { recipients, certificatePem: certPem };
  readiness = { ready: false, reason: "the first sync has not been applied yet" };
  const metrics = createMetrics();
  metrics.appliedRevision("0123456789abcdef0123456789abcdef01234567");
  srv = await startServer({
    listen: "127.0.0.1:0",
    isReady: async () => readiness,
    metrics,
    publicKeys: () => keys,
    auditFile,
    onError: (err) => void errors.push(err instanceof Error ? err.message : String(err)),
  });
  bare = await startServer({ listen: ":0", isReady: () => ({ ready: true }) });
});
afterAll(async () => {
  await srv.close();
  await bare.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (base: string, p: string, init?: RequestInit) => {
  const res = await fetch(`${base}${p}`, init);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
};

describe("health and readiness", () => {
  it("/healthz is 200 while the process runs, ready or not", async () => {
    expect(await get(srv.url, "/healthz")).toMatchObject({ status: 200, text: "ok\n" });
  });

  it("/readyz is 503 with the daemon's reason until it says ready, then 200", async () => {
    expect(await get(srv.url, "/readyz")).toMatchObject({ status: 503, text: "not ready: the first sync has not been applied yet\n" });
    readiness = { ready: true };
    expect(await get(srv.url, "/readyz")).toMatchObject({ status: 200, text: "ok\n" });
    readiness = { ready: false, reason: "the API server is unreachable" };
    expect(await get(srv.url, "/readyz")).toMatchObject({ status: 503, text: "not ready: the API server is unreachable\n" });
  });

  it("probes answer HEAD and refuse other methods", async () => {
    expect((await fetch(`${srv.url}/healthz`, { method: "HEAD" })).status).toBe(200);
    const res = await fetch(`${srv.url}/healthz`, { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("/metrics", () => {
  it("serves the registry's exposition text", async () => {
    const res = await get(srv.url, "/metrics");
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('sealsync_last_applied_revision_info{revision="0123456"} 1');
  });

  it("is absent when no metrics are given", async () => {
    expect((await get(bare.url, "/metrics")).status).toBe(404);
  });
});

describe("public keys", () => {
  it("/v1/recipients lists the age recipients, one per line", async () => {
    const res = await get(srv.url, "/v1/recipients");
    expect(res).toMatchObject({ status: 200, type: "text/plain; charset=utf-8" });
    expect(res.text).toBe(`${recipients.join("\n")}\n`);
  });

  it("/v1/cert.pem serves the sealing certificate", async () => {
    const res = await get(srv.url, "/v1/cert.pem");
    expect(res).toMatchObject({ status: 200, type: "application/x-pem-file" });
    expect(res.text.trim()).toBe(certPem.trim());
  });

  it("missing keys are a 404 that points to the other endpoint", async () => {
    keys = { recipients: [] };
    expect(await get(srv.url, "/v1/recipients")).toMatchObject({ status: 404, text: expect.stringContaining("/v1/cert.pem") });
    expect(await get(srv.url, "/v1/cert.pem")).toMatchObject({ status: 404, text: expect.stringContaining("/v1/recipients") });
    keys = { recipients, certificatePem: certPem };
  });

  it("never serves a private key, even if the provider hands one over", async () => {
    const identity = await generateAgeIdentity();
    keys = { recipients: [recipients[0]!, identity.revealSecret()], certificatePem: `${certPem}\n${keyPem}` };
    const r1 = await get(srv.url, "/v1/recipients");
    const r2 = await get(srv.url, "/v1/cert.pem");
    expect(r1).toEqual({ status: 500, type: "text/plain; charset=utf-8", text: "internal error; see the daemon's log\n" });
    expect(r2.status).toBe(500);
    expect(r1.text + r2.text).not.toContain("AGE-SECRET-KEY");
    expect(r2.text).not.toContain("PRIVATE KEY");
    expect(errors.slice(-2)).toEqual([
      "refusing to serve recipient #2: it is not a public key (a bug in the key provider)",
      "refusing to serve the sealing certificate: it is not a public key (a bug in the key provider)",
    ]);
    keys = { recipients, certificatePem: certPem };
  });
});

describe("routing", () => {
  it("mounts the audit log at /v1/audit", async () => {
    const res = await get(srv.url, "/v1/audit?format=json");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject([{ action: "daemon-start", identity: "pod-a" }]);
  });

  it("anything else is a 404; a disabled webhook says how to enable it", async () => {
    expect((await get(srv.url, "/")).status).toBe(404);
    expect((await get(srv.url, "/v1/decrypt")).status).toBe(404);
    expect(await get(bare.url, "/hooks/git", { method: "POST", body: "{}" }))
      .toMatchObject({ status: 404, text: "not found: the webhook is disabled (start with --webhook-secret-file)\n" });
    expect((await get(bare.url, "/v1/audit")).status).toBe(404);
    expect((await get(bare.url, "/v1/recipients")).status).toBe(404);
  });

  it("listening on every interface reports a loopback URL", () => {
    expect(bare.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("--listen", () => {
  it("parses [HOST:]PORT forms", () => {
    expect(parseListen("9090")).toEqual({ port: 9090 });
    expect(parseListen(":9090")).toEqual({ port: 9090 });
    expect(parseListen("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseListen("localhost:9090")).toEqual({ host: "localhost", port: 9090 });
  });

  it("refuses anything else with the expected form in the message", () => {
    for (const bad of ["", "http://x:1", "host:", "1:2:3", ":70000", "::1:9090"]) {
      expect(() => parseListen(bad)).toThrow(/invalid listen address .*use \[HOST:\]PORT/);
    }
  });

  it("a port in use is an error from startServer", async () => {
    const port = new URL(srv.url).port;
    await expect(startServer({ listen: `127.0.0.1:${port}`, isReady: () => ({ ready: true }) })).rejects.toThrow(/EADDRINUSE/);
  });
});
