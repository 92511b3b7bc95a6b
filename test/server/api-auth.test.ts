/**
 * Issue 11, finding 6: the daemon's port is open to the network (the NetworkPolicy lets probes and
 * Prometheus in), so /v1/audit — object names, committer emails, error texts — needs a bearer token from
 * --api-token-file, or, without one, a loopback client (kubectl port-forward). /healthz, /readyz (generic
 * bodies) and /metrics stay public. Exercised against the real `sealsync run`, from a non-loopback address.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { commitFiles } from "../env/git.js";
import { syncFixture } from "../sync/helpers.js";
import { startDaemon, until, type RunningDaemon } from "../daemon/helpers.js";

/** This machine's first non-loopback IPv4 address: a request from it is not a loopback client. */
function externalAddress(): string {
  const hit = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal);
  if (!hit) throw new Error("this test needs a non-loopback IPv4 interface");
  return hit.address;
}

const running: RunningDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop("SIGKILL")));
});

describe("who may read the daemon's endpoints (finding 6)", () => {
  it("without --api-token-file, /v1/audit answers loopback clients only; probes and metrics stay public with generic bodies", async () => {
    const f = await syncFixture("apiauth");
    // A broken revision whose error text names a planted value: it must not reach public bodies.
    await commitFiles(f.repo, { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: planted-Zx81Q}\ndata: [unclosed\n" });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "1h", "--listen", ":0"]);
    running.push(d);
    await d.waitForLog((l) => l.msg === "sync failed; the last good revision stays in force", 30_000, "the refused revision");
    const port = new URL(d.url).port;
    const remote = `http://${externalAddress()}:${port}`;
    const audit = await fetch(`${remote}/v1/audit`);
    expect(audit.status).toBe(403);
    const body = await audit.text();
    expect(body).toBe("the audit API answers loopback clients only (kubectl port-forward), or start sealsync with --api-token-file\n");
    expect((await fetch(`${d.url}/v1/audit`)).status).toBe(200); // loopback: port-forward
    expect((await fetch(`${remote}/healthz`)).status).toBe(200);
    expect((await fetch(`${remote}/metrics`)).status).toBe(200);
    // Readiness never depends on Git (finding 9): 200 with a generic body, though no revision was applied.
    const ready = await fetch(`${remote}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe("ok\n");
  });

  it("with --api-token-file, /v1/audit needs Authorization: Bearer <token>, from anywhere, and the token is never printed", async () => {
    const f = await syncFixture("apitoken");
    await commitFiles(f.repo, { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {v: '1'}\n" });
    const tokenFile = path.join(f.dataDir, "api-token");
    const token = "tok-9f1c2b7e4d5a6c3b";
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const d = await startDaemon(f, ["--no-leader-election", "--interval", "1h", "--listen", ":0", "--api-token-file", tokenFile]);
    running.push(d);
    const remote = `http://${externalAddress()}:${new URL(d.url).port}`;
    expect((await fetch(`${d.url}/v1/audit`)).status).toBe(401); // loopback needs it too, once a token is set
    const wrong = await fetch(`${remote}/v1/audit`, { headers: { Authorization: "Bearer tok-wrong" } });
    expect([wrong.status, wrong.headers.get("www-authenticate")]).toEqual([401, 'Bearer realm="sealsync"']);
    await until("the first sync in the audit log", async () => {
      const res = await fetch(`${remote}/v1/audit`, { headers: { Authorization: `Bearer ${token}` } });
      return res.status === 200 && (await res.text()).includes("sync-finished");
    });
    // A rotated token works without a restart; the old one stops working.
    writeFileSync(tokenFile, "tok-rotated-1111\n");
    expect((await fetch(`${remote}/v1/audit`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await fetch(`${remote}/v1/audit`, { headers: { Authorization: "Bearer tok-rotated-1111" } })).status).toBe(200);
    expect(d.stdout() + d.stderr()).not.toContain("tok-");
  });
});
