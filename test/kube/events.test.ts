/** Events on the ApplySet parent, written as the namespaced ServiceAccount and read back as kubectl would. */
import { afterEach, describe, expect, it } from "@jest/globals";
import type { KubeClient } from "../../src/kube/client.js";
import { EventRecorder, MAX_MESSAGE_LENGTH, buildMessage, type EventRecorderOptions } from "../../src/kube/events.js";
import type { Change } from "../../src/kube/changeset.js";
import { createNamespace } from "../env/kube.js";
import { namespacedClient, revokeAccess } from "./helpers.js";

const REV = "3f2c9a1b7e6d5c4b3a29180716f5e4d3c2b1a098";
const CANARY = "canary-value-5f1e9c";
const clients: KubeClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.close()));

interface EventBody {
  metadata: { name: string; annotations?: Record<string, string> };
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
}

async function fixture(prefix: string, extra: Partial<EventRecorderOptions> = {}) {
  const namespace = await createNamespace(prefix);
  const client = await namespacedClient(namespace);
  clients.push(client);
  // The parent, and a managed Secret holding a value that must never reach an event.
  const parent = await client.request<{ metadata: { uid: string } }>("POST", `/api/v1/namespaces/${namespace}/secrets`,
    { body: { apiVersion: "v1", kind: "Secret", metadata: { name: "sealsync" } } });
  await client.request("POST", `/api/v1/namespaces/${namespace}/secrets`,
    { body: { apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, stringData: { password: CANARY } } });
  const errors: Error[] = [];
  const recorder = new EventRecorder({
    client, parent: { name: "sealsync", namespace, uid: parent.body.metadata.uid }, instance: "web-7d9f-abc",
    onError: (e) => void errors.push(e), ...extra,
  });
  const events = async () => (await client.request<{ items: EventBody[] }>("GET", `/api/v1/namespaces/${namespace}/events`)).body.items
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return { namespace, client, recorder, errors, events, parentUid: parent.body.metadata.uid };
}

const change = (action: Change["action"], kind: string, name: string, reason?: string): Change =>
  ({ action, group: kind === "Deployment" ? "apps" : "", kind, namespace: "ns", name, ...(reason ? { reason } : {}) });

describe("EventRecorder", () => {
  it("a successful sync: Normal event on the parent Secret, naming the changes, never a value", async () => {
    const f = await fixture("ev-sync");
    await f.recorder.synced(REV, [
      change("created", "Secret", "db"), change("configured", "Deployment", "web"),
      change("unchanged", "ConfigMap", "settings"), change("pruned", "ConfigMap", "old"),
    ]);
    const [ev, ...rest] = await f.events();
    expect(rest).toEqual([]);
    expect(ev).toMatchObject({
      involvedObject: { apiVersion: "v1", kind: "Secret", name: "sealsync", namespace: f.namespace, uid: f.parentUid },
      type: "Normal",
      reason: "ReconciliationSucceeded",
      message: `Applied revision ${REV}: 1 created, 1 configured, 1 unchanged, 1 pruned\ncreated Secret/db\nconfigured Deployment/web\npruned ConfigMap/old`,
      count: 1,
      source: { component: "sealsync", host: "web-7d9f-abc" },
      metadata: { annotations: { "sealsync.dev/revision": REV } },
    });
    expect(JSON.stringify(await f.events())).not.toContain(CANARY);
    expect(f.errors).toEqual([]);
  });

  it("a repeated event is one Event with a count; a different one is another Event", async () => {
    const f = await fixture("ev-repeat");
    await f.recorder.failed(REV, "apps/db/secret.sops.yaml (document 0): MAC mismatch");
    await f.recorder.failed(REV, "apps/db/secret.sops.yaml (document 0): MAC mismatch");
    await f.recorder.failed(REV, "apps/db/secret.sops.yaml (document 0): MAC mismatch");
    await f.recorder.failed("0123456789abcdef0123456789abcdef01234567", "apps/db/secret.sops.yaml (document 0): MAC mismatch");
    const evs = await f.events();
    expect(evs.map((e) => [e.type, e.reason, e.count, e.message])).toEqual([
      ["Warning", "ReconciliationFailed", 3, `Revision ${REV} was not applied: apps/db/secret.sops.yaml (document 0): MAC mismatch`],
      ["Warning", "ReconciliationFailed", 1, "Revision 0123456789abcdef0123456789abcdef01234567 was not applied: apps/db/secret.sops.yaml (document 0): MAC mismatch"],
    ]);
  });

  it("without aggregation every event is its own", async () => {
    const f = await fixture("ev-noagg", { aggregate: false });
    await f.recorder.failed(REV, "boom");
    await f.recorder.failed(REV, "boom");
    expect((await f.events()).map((e) => e.count)).toEqual([1, 1]);
  });

  it("a sync with failed changes is a Warning", async () => {
    const f = await fixture("ev-partial");
    await f.recorder.synced(REV, [change("created", "ConfigMap", "a"), change("failed", "Deployment", "web", "the API server refused it: field is immutable")]);
    const [ev] = await f.events();
    expect(ev).toMatchObject({ type: "Warning", reason: "ReconciliationFailed" });
    expect(ev?.message).toBe(`Revision ${REV} applied with failures: 1 created, 1 failed\ncreated ConfigMap/a\nfailed Deployment/web: the API server refused it: field is immutable`);
  });

  it("prune and drift events", async () => {
    const f = await fixture("ev-drift");
    await f.recorder.pruned(REV, [change("unchanged", "ConfigMap", "a")]); // nothing pruned: no event
    await f.recorder.pruned(REV, [change("pruned", "ConfigMap", "old"), change("pruned", "Secret", "legacy"), change("created", "ConfigMap", "new")]);
    await f.recorder.drift(REV, { kind: "Secret", name: "db" }, true, "kubectl-edit");
    await f.recorder.drift(REV, { kind: "Deployment", name: "web" }, false);
    const evs = await f.events();
    expect(evs.map((e) => [e.type, e.reason, e.message])).toEqual([
      ["Normal", "Pruned", `Pruned 2 objects no longer in revision ${REV}\nConfigMap/old\nSecret/legacy`],
      ["Normal", "DriftCorrected", `Secret/db was changed by kubectl-edit in the cluster; re-applied revision ${REV}`],
      ["Warning", "DriftDetected", `Deployment/web was changed in the cluster and differs from revision ${REV} (self-heal is off)`],
    ]);
    expect(JSON.stringify(evs)).not.toContain(CANARY);
  });

  it("a long change list is cut to 1 KiB with a count of what was left out", async () => {
    const f = await fixture("ev-long");
    const many = Array.from({ length: 200 }, (_, i) => change("created", "ConfigMap", `config-${String(i).padStart(3, "0")}`));
    await f.recorder.synced(REV, many);
    const [ev] = await f.events();
    expect(ev!.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(ev!.message).toMatch(/^Applied revision [0-9a-f]{40}: 200 created\ncreated ConfigMap\/config-000\n/);
    const shown = ev!.message.split("\n").filter((l) => l.startsWith("created ")).length;
    expect(ev!.message.endsWith(`\n… and ${200 - shown} more`)).toBe(true);
  });

  it("an event that cannot be written is reported, not thrown", async () => {
    const f = await fixture("ev-denied");
    await revokeAccess(f.namespace, "sealsync");
    await expect(f.recorder.failed(REV, "boom")).resolves.toBeUndefined();
    expect(f.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^recording event ReconciliationFailed: POST \/api\/v1\/namespaces\/.*\/events: .*forbidden/)]);
  });
});

describe("buildMessage", () => {
  it("keeps short messages whole and never exceeds the limit", () => {
    expect(buildMessage("head", ["a", "b"])).toBe("head\na\nb");
    for (const n of [0, 1, 50, 51, 52, 500]) {
      const msg = buildMessage("h".repeat(100), Array.from({ length: n }, () => "x".repeat(18)));
      expect(msg.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    }
  });
});
