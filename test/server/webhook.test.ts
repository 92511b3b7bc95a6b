/** POST /hooks/git over loopback: GitHub, Gitea, Gogs and GitLab authentication, ref filtering, limits. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, type RunningServer } from "../../src/server/index.js";

const SECRET = "webhook-shared-secret-7f3a";
let dir: string;
let secretFile: string;
let pushes: string[];
let srv: RunningServer;
let anyRef: RunningServer;

const hmac = (body: string, secret = SECRET) => createHmac("sha256", secret).update(body).digest("hex");
// Every real push names a new commit: each body is a new delivery (a repeated one is a replay, refused).
const push = (ref: string) => JSON.stringify({ ref, before: "0".repeat(40), after: randomBytes(20).toString("hex"), repository: { full_name: "acme/app" } });

async function post(base: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${base}/hooks/git`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sealsync-webhook-"));
  secretFile = path.join(dir, "secret");
  const webhook = (branch?: string) => ({ secretFile, onPush: (ref: string) => void pushes.push(ref), maxBodyBytes: 64 * 1024, ...(branch ? { branch } : {}) });
  srv = await startServer({ listen: "127.0.0.1:0", isReady: () => ({ ready: true }), webhook: webhook("main") });
  anyRef = await startServer({ listen: "127.0.0.1:0", isReady: () => ({ ready: true }), webhook: webhook() });
});
afterAll(async () => {
  await srv.close();
  await anyRef.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  pushes = [];
  writeFileSync(secretFile, `${SECRET}\n`);
});

describe("signatures", () => {
  let body: string;
  beforeEach(() => {
    body = push("refs/heads/main");
  });
  const providers: [string, (b: string, s?: string) => Record<string, string>][] = [
    ["GitHub", (b, s) => ({ "x-github-event": "push", "x-hub-signature-256": `sha256=${hmac(b, s)}` })],
    ["Gitea", (b, s) => ({ "x-gitea-event": "push", "x-gitea-signature": hmac(b, s) })],
    ["Gogs", (b, s) => ({ "x-gogs-event": "push", "x-gogs-signature": hmac(b, s) })],
    ["GitLab", (_b, s) => ({ "x-gitlab-event": "Push Hook", "x-gitlab-token": s ?? SECRET })],
  ];

  for (const [name, sign] of providers) {
    it(`${name}: a valid signature triggers a fetch`, async () => {
      expect(await post(srv.url, body, sign(body))).toEqual({ status: 200, text: "fetch triggered by a push to refs/heads/main\n" });
      expect(pushes).toEqual(["refs/heads/main"]);
    });

    it(`${name}: a signature made with another secret is refused (401), nothing triggered`, async () => {
      const res = await post(srv.url, body, sign(body, "not-the-secret"));
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/^unauthorized: x-(hub|gitea|gogs|gitlab)-[a-z0-9-]+ does not match/);
      expect(pushes).toEqual([]);
    });
  }

  it("a body changed after signing is refused (HMAC providers)", async () => {
    const tampered = push("refs/heads/main").replace("acme/app", "evil/app");
    const signed: Record<string, string>[] = [{ "x-hub-signature-256": `sha256=${hmac(body)}` }, { "x-gitea-signature": hmac(body) }, { "x-gogs-signature": hmac(body) }];
    for (const headers of signed) {
      expect((await post(srv.url, tampered, headers)).status).toBe(401);
    }
    expect(pushes).toEqual([]);
  });

  it("no signature header at all is a 401 that names the accepted headers", async () => {
    const res = await post(srv.url, body, {});
    expect(res.status).toBe(401);
    expect(res.text).toContain("X-Hub-Signature-256");
    expect(res.text).toContain("X-Gitlab-Token");
    expect(pushes).toEqual([]);
  });

  it("malformed signatures are refused: GitHub's without the sha256= prefix, truncated hex, sha1", async () => {
    for (const headers of <Record<string, string>[]>[
      { "x-hub-signature-256": hmac(body) },
      { "x-hub-signature-256": `sha256=${hmac(body).slice(0, 62)}` },
      { "x-gitea-signature": `${hmac(body)}00` },
      { "x-hub-signature": `sha1=${createHmac("sha1", SECRET).update(body).digest("hex")}` },
      { "x-gitlab-token": "" },
    ]) {
      expect((await post(srv.url, body, headers)).status).toBe(401);
    }
    expect(pushes).toEqual([]);
  });

  it("the secret file is re-read on every request: a rotated secret applies at once", async () => {
    expect((await post(srv.url, body, { "x-gitea-signature": hmac(body) })).status).toBe(200);
    writeFileSync(secretFile, "the-new-secret");
    expect((await post(srv.url, body, { "x-gitea-signature": hmac(body) })).status).toBe(401);
    const next = push("refs/heads/main");
    expect((await post(srv.url, next, { "x-gitea-signature": hmac(next, "the-new-secret") })).status).toBe(200);
    expect(pushes).toEqual(["refs/heads/main", "refs/heads/main"]);
  });

  it("a captured signed delivery cannot be replayed: the same body again is a 409 and triggers nothing (finding 12)", async () => {
    const headers = { "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "x-hub-signature-256": `sha256=${hmac(body)}` };
    expect((await post(srv.url, body, headers)).status).toBe(200);
    for (const delivery of ["72d3162e-cc78-11e3-81ab-4c9367dc0958", "a-fresh-unsigned-delivery-id"]) {
      expect(await post(srv.url, body, { ...headers, "x-github-delivery": delivery }))
        .toEqual({ status: 409, text: "ignored: this delivery was already received (a replay)\n" });
    }
    expect(pushes).toEqual(["refs/heads/main"]);
  });

  it("an unreadable or empty secret file is a 500 that reveals nothing", async () => {
    writeFileSync(secretFile, "  \n");
    const res = await post(srv.url, body, { "x-gitlab-token": "" });
    expect(res).toEqual({ status: 500, text: "internal error; see the daemon's log\n" });
    rmSync(secretFile);
    expect((await post(srv.url, body, { "x-gitlab-token": SECRET })).status).toBe(500);
    expect(pushes).toEqual([]);
  });
});

describe("refs and payloads", () => {
  const github = (b: string) => ({ "x-hub-signature-256": `sha256=${hmac(b)}` });

  it("a push to another branch or a tag is acknowledged but ignored (202)", async () => {
    for (const ref of ["refs/heads/feature", "refs/tags/v1.0.0", "refs/heads/main-old"]) {
      const b = push(ref);
      expect(await post(srv.url, b, github(b))).toEqual({ status: 202, text: `ignored: ${ref} is not main\n` });
    }
    expect(pushes).toEqual([]);
  });

  it("without a configured branch every ref triggers", async () => {
    for (const ref of ["refs/heads/feature", "refs/tags/v1.0.0"]) {
      const b = push(ref);
      expect((await post(anyRef.url, b, github(b))).status).toBe(200);
    }
    expect(pushes).toEqual(["refs/heads/feature", "refs/tags/v1.0.0"]);
  });

  it("a ping (no ref) is a verified 202, and triggers nothing", async () => {
    const b = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    expect(await post(srv.url, b, { ...github(b), "x-github-event": "ping" }))
      .toEqual({ status: 202, text: "ignored: the payload has no ref (not a push event)\n" });
    expect(pushes).toEqual([]);
  });

  it("GitHub's form-encoded delivery (payload=…) is accepted, signed over the raw form body", async () => {
    const form = new URLSearchParams({ payload: push("refs/heads/main") }).toString();
    const res = await post(srv.url, form, { ...github(form), "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(200);
    expect(pushes).toEqual(["refs/heads/main"]);
  });

  it("a JSON body sent as a form (curl -d) is still read as JSON", async () => {
    const b = push("refs/heads/main");
    expect((await post(srv.url, b, { ...github(b), "content-type": "application/x-www-form-urlencoded" })).status).toBe(200);
    expect(pushes).toEqual(["refs/heads/main"]);
  });

  it("a verified body that is not JSON is a 400", async () => {
    const b = "not json";
    expect((await post(srv.url, b, github(b))).status).toBe(400);
  });

  it("a body over the limit is refused with 413 before any signature check", async () => {
    const b = push("refs/heads/main").replace("acme/app", "x".repeat(70 * 1024));
    const res = await post(srv.url, b, github(b));
    expect(res.status).toBe(413);
    expect(pushes).toEqual([]);
  });

  it("only POST is accepted", async () => {
    const res = await fetch(`${srv.url}/hooks/git`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});
