/** The config hash rolls a workload when a value it reads changes, and only then. */
import { describe, expect, it } from "@jest/globals";
import type { KubeObject } from "../../src/kube/client.js";
import type { DesiredObject } from "../../src/manifests/desired.js";
import { CONFIG_HASH_ANNOTATION, applyConfigHashes, podTemplateOf, referencedConfig } from "../../src/reconcile/config-hash.js";

const KEY = Buffer.alloc(32, 7);

function desired(o: KubeObject): DesiredObject {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0]! : "";
  return { object: o, resource: { apiVersion: o.apiVersion, group, version: "v1", kind: o.kind, resource: "x", namespaced: true }, key: `${group}/${o.kind}/${o.metadata.name}`, ref: { file: "f.yaml", index: 0 }, source: {} } as DesiredObject;
}
const secret = (name: string, data: Record<string, string>) => ({ apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: data }) as KubeObject;
const deployment = (name: string, optIn: boolean, podSpec: Record<string, unknown>) => ({
  apiVersion: "apps/v1", kind: "Deployment",
  metadata: { name, annotations: optIn ? { "sealsync.dev/restart-on-change": "true" } : {} },
  spec: { template: { metadata: { labels: { app: name } }, spec: podSpec } },
}) as KubeObject;
const usesCreds = { containers: [{ name: "app", env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } }] }] };
const hashOf = (o: KubeObject) => podTemplateOf(o)?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];

function run(objects: KubeObject[], live = new Map<string, KubeObject>(), key = KEY) {
  const set = objects.map(desired);
  const restarts = applyConfigHashes(set, { key, live });
  return { restarts, set };
}

describe("config hash", () => {
  it("finds every way a pod spec reads config", () => {
    const refs = referencedConfig({
      containers: [{ env: [{ valueFrom: { configMapKeyRef: { name: "cm", key: "a" } } }], envFrom: [{ secretRef: { name: "all" } }] }],
      initContainers: [{ env: [{ valueFrom: { secretKeyRef: { name: "init", key: "k" } } }] }],
      volumes: [{ secret: { secretName: "vol", items: [{ key: "tls.crt" }] } }, { projected: { sources: [{ configMap: { name: "proj" } }] } }],
    });
    expect(Object.fromEntries([...refs].map(([k, v]) => [k, v === "all" ? v : [...v]]))).toEqual({
      "ConfigMap/cm": ["a"], "Secret/all": "all", "Secret/init": ["k"], "Secret/vol": ["tls.crt"], "ConfigMap/proj": "all",
    });
  });

  it("changes with the value, not with unreferenced keys, and only on opted-in workloads", () => {
    const a = run([secret("creds", { password: "one", other: "x" }), deployment("web", true, usesCreds), deployment("plain", false, usesCreds)]);
    const b = run([secret("creds", { password: "one", other: "y" }), deployment("web", true, usesCreds)]);
    const c = run([secret("creds", { password: "two", other: "x" }), deployment("web", true, usesCreds)]);
    const [webA, plainA] = [a.set[1]!.object, a.set[2]!.object];
    expect(hashOf(webA)).toMatch(/^hmac-sha256:[A-Za-z0-9_-]{43}$/);
    expect(hashOf(plainA)).toBeUndefined();
    expect(hashOf(b.set[1]!.object)).toBe(hashOf(webA));
    expect(hashOf(c.set[1]!.object)).not.toBe(hashOf(webA));
    // Keyed: another installation gets another hash for the same value.
    expect(hashOf(run([secret("creds", { password: "one" }), deployment("web", true, usesCreds)], new Map(), Buffer.alloc(32, 8)).set[1]!.object))
      .not.toBe(hashOf(run([secret("creds", { password: "one" }), deployment("web", true, usesCreds)]).set[1]!.object));
  });

  it("names the changed keys of a live workload, never their values", () => {
    const before = run([secret("creds", { password: "one" }), deployment("web", true, usesCreds)]);
    const live = new Map<string, KubeObject>([
      ["Deployment/web", before.set[1]!.object],
      ["Secret/creds", { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, data: { password: Buffer.from("one").toString("base64") } } as KubeObject],
    ]);
    expect(run([secret("creds", { password: "one" }), deployment("web", true, usesCreds)], live).restarts).toEqual([]);
    const changed = run([secret("creds", { password: "two" }), deployment("web", true, usesCreds)], live).restarts;
    expect(changed).toEqual([{ kind: "Deployment", name: "web", changedKeys: ["Secret/creds:password"] }]);
    expect(JSON.stringify(changed)).not.toMatch(/one|two/);
  });
});
