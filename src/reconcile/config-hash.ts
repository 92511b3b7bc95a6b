/**
 * Restart on change, without a second writer: a workload opted in (annotation
 * `sealsync.dev/restart-on-change: "true"`, or every workload with --restart-on-config-change) gets the
 * pod-template annotation `sealsync.dev/config-hash`, a keyed hash over the Secrets and ConfigMaps of the
 * same revision that its pod spec references. It is written in the same server-side apply as the rest of
 * the workload, so sealsync is the one owner of the field: no drift fight with a Reloader-style writer.
 *
 * The hash is an HMAC with a random per-installation key kept in-cluster (Secret
 * `sealsync-config-hash-key`), over decrypted values: it changes when a referenced value changes, not when
 * a file is merely re-encrypted, and without the key it is no oracle for guessing a value.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { KubeClient, KubeObject } from "../kube/client.js";
import type { DesiredObject } from "../manifests/desired.js";

export const RESTART_ANNOTATION = "sealsync.dev/restart-on-change";
export const CONFIG_HASH_ANNOTATION = "sealsync.dev/config-hash";
export const HASH_KEY_SECRET = "sealsync-config-hash-key";

/** A workload whose pods will roll because a referenced value changed. */
export interface RestartTrigger {
  kind: string;
  name: string;
  /** "Secret/name:key" for each referenced key whose value differs from the live one (names, never values). */
  changedKeys: string[];
}

/** Referenced keys per object ("Secret/name" →), or "all" when the whole object is referenced. */
type References = Map<string, Set<string> | "all">;

interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: VolumeLike[];
}
interface ContainerLike {
  env?: { valueFrom?: { secretKeyRef?: { name?: string; key?: string }; configMapKeyRef?: { name?: string; key?: string } } }[];
  envFrom?: { secretRef?: { name?: string }; configMapRef?: { name?: string } }[];
}
interface KeysRef {
  items?: { key?: string }[];
}
interface VolumeLike {
  secret?: { secretName?: string } & KeysRef;
  configMap?: { name?: string } & KeysRef;
  projected?: { sources?: { secret?: { name?: string } & KeysRef; configMap?: { name?: string } & KeysRef }[] };
}

/** The pod template of a workload kind that rolls its pods, or undefined. */
export function podTemplateOf(obj: KubeObject): { metadata?: { annotations?: Record<string, string> }; spec?: PodSpecLike } | undefined {
  const spec = (obj as { spec?: Record<string, unknown> }).spec;
  if (!spec) return undefined;
  if (["Deployment", "StatefulSet", "DaemonSet"].includes(obj.kind) && obj.apiVersion === "apps/v1") {
    return spec.template as ReturnType<typeof podTemplateOf>;
  }
  if (obj.kind === "CronJob" && obj.apiVersion === "batch/v1") {
    return ((spec.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template) as ReturnType<typeof podTemplateOf>;
  }
  return undefined;
}

/** What a pod spec reads from Secrets and ConfigMaps: env valueFrom, envFrom, volumes, projected sources. */
export function referencedConfig(spec: PodSpecLike | undefined): References {
  const refs: References = new Map();
  const add = (kind: "Secret" | "ConfigMap", name: string | undefined, keys?: (string | undefined)[]) => {
    if (!name) return;
    const id = `${kind}/${name}`;
    const cur = refs.get(id);
    if (cur === "all") return;
    if (!keys) {
      refs.set(id, "all");
      return;
    }
    const set = cur ?? new Set<string>();
    for (const k of keys) if (k) set.add(k);
    refs.set(id, set);
  };
  const itemKeys = (r: KeysRef) => (r.items && r.items.length > 0 ? r.items.map((i) => i.key) : undefined);
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add("Secret", e.valueFrom?.secretKeyRef?.name, [e.valueFrom?.secretKeyRef?.key]);
      add("ConfigMap", e.valueFrom?.configMapKeyRef?.name, [e.valueFrom?.configMapKeyRef?.key]);
    }
    for (const e of c.envFrom ?? []) {
      add("Secret", e.secretRef?.name);
      add("ConfigMap", e.configMapRef?.name);
    }
  }
  for (const v of spec?.volumes ?? []) {
    if (v.secret) add("Secret", v.secret.secretName, itemKeys(v.secret));
    if (v.configMap) add("ConfigMap", v.configMap.name, itemKeys(v.configMap));
    for (const s of v.projected?.sources ?? []) {
      if (s.secret) add("Secret", s.secret.name, itemKeys(s.secret));
      if (s.configMap) add("ConfigMap", s.configMap.name, itemKeys(s.configMap));
    }
  }
  return refs;
}

/** The values of a Secret or ConfigMap as bytes, key by key (data, stringData, binaryData folded). */
export function configValues(obj: KubeObject): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const o = obj as { data?: Record<string, unknown>; stringData?: Record<string, unknown>; binaryData?: Record<string, unknown> };
  const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : "", "base64");
  const utf8 = (v: unknown) => Buffer.from(typeof v === "string" ? v : "", "utf8");
  if (obj.kind === "Secret") {
    for (const [k, v] of Object.entries(o.data ?? {})) out.set(k, b64(v));
    for (const [k, v] of Object.entries(o.stringData ?? {})) out.set(k, utf8(v));
  } else {
    for (const [k, v] of Object.entries(o.data ?? {})) out.set(k, utf8(v));
    for (const [k, v] of Object.entries(o.binaryData ?? {})) out.set(k, b64(v));
  }
  return out;
}

function hashConfig(key: Buffer, refs: References, objects: Map<string, KubeObject>): string | undefined {
  const mac = createHmac("sha256", key);
  let any = false;
  for (const id of [...refs.keys()].sort()) {
    const obj = objects.get(id);
    if (!obj) continue; // not part of this revision: not ours to watch
    const values = configValues(obj);
    const wanted = refs.get(id);
    const keys = wanted === "all" || wanted === undefined ? [...values.keys()] : [...wanted];
    for (const k of keys.sort()) {
      const v = values.get(k);
      // Length-prefixed fields: no two different inputs share a byte stream.
      for (const part of [Buffer.from(id), Buffer.from(k), v ?? Buffer.from([0xff])]) {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(part.length);
        mac.update(len).update(part);
      }
      any = true;
    }
  }
  return any ? `hmac-sha256:${mac.digest("base64url")}` : undefined;
}

function changedKeys(refs: References, desired: Map<string, KubeObject>, live: Map<string, KubeObject>): string[] {
  const out: string[] = [];
  for (const id of [...refs.keys()].sort()) {
    const want = desired.get(id);
    if (!want) continue;
    const have = live.get(id);
    const wantValues = configValues(want);
    const haveValues = have ? configValues(have) : new Map<string, Buffer>();
    const wanted = refs.get(id);
    const keys = wanted === "all" || wanted === undefined ? [...new Set([...wantValues.keys(), ...haveValues.keys()])] : [...wanted];
    for (const k of keys.sort()) {
      const a = wantValues.get(k);
      const b = haveValues.get(k);
      const same = a !== undefined && b !== undefined && a.length === b.length && timingSafeEqual(a, b);
      if (!same && !(a === undefined && b === undefined)) out.push(`${id}:${k}`);
    }
  }
  return out;
}

export interface ConfigHashOptions {
  /** The per-installation HMAC key. */
  key: Buffer;
  /** Every workload, not only those annotated (--restart-on-config-change). */
  all?: boolean;
  /** The live objects by "Kind/name" (workloads, Secrets, ConfigMaps), to say what changed. */
  live: Map<string, KubeObject>;
}

/** True when some workload of the set would get a config hash (so the key is needed). */
export function wantsConfigHash(desired: DesiredObject[], all = false): boolean {
  return desired.some((d) => podTemplateOf(d.object) && (all || d.object.metadata.annotations?.[RESTART_ANNOTATION] === "true"));
}

/**
 * Sets the config-hash annotation on every opted-in workload of `desired` (in place) and returns the
 * workloads whose hash differs from the live one: their pods will roll.
 */
export function applyConfigHashes(desired: DesiredObject[], opts: ConfigHashOptions): RestartTrigger[] {
  const config = new Map<string, KubeObject>();
  for (const d of desired) {
    if (d.resource.group === "" && (d.object.kind === "Secret" || d.object.kind === "ConfigMap")) config.set(`${d.object.kind}/${d.object.metadata.name}`, d.object);
  }
  const triggers: RestartTrigger[] = [];
  for (const d of desired) {
    const template = podTemplateOf(d.object);
    if (!template) continue;
    if (!opts.all && d.object.metadata.annotations?.[RESTART_ANNOTATION] !== "true") continue;
    const refs = referencedConfig(template.spec);
    const hash = hashConfig(opts.key, refs, config);
    if (!hash) continue;
    template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [CONFIG_HASH_ANNOTATION]: hash } };
    const liveWorkload = opts.live.get(`${d.object.kind}/${d.object.metadata.name}`);
    if (!liveWorkload) continue; // a new workload starts with the right values: nothing to restart
    const before = podTemplateOf(liveWorkload)?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    if (before === hash) continue;
    triggers.push({ kind: d.object.kind, name: d.object.metadata.name, changedKeys: changedKeys(refs, config, opts.live) });
  }
  return triggers;
}

/**
 * The installation's HMAC key, created on first use (32 random bytes). With `create: false` (plans) a
 * missing key is replaced by a throw-away one: the plan then shows the annotation as changing, which it will.
 */
export async function loadConfigHashKey(client: KubeClient, namespace: string, create = true): Promise<Buffer> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  const read = async () => {
    const res = await client.request<{ data?: Record<string, string> }>("GET", `${path}/${HASH_KEY_SECRET}`, { allow: [404] });
    const b64 = res.status === 200 ? res.body.data?.key : undefined;
    return b64 ? Buffer.from(b64, "base64") : undefined;
  };
  const existing = await read();
  if (existing && existing.length >= 16) return existing;
  if (!create) return randomBytes(32);
  const res = await client.request("POST", path, {
    body: {
      apiVersion: "v1", kind: "Secret", type: "Opaque",
      metadata: { name: HASH_KEY_SECRET, namespace, labels: { "app.kubernetes.io/managed-by": "sealsync" } },
      data: { key: randomBytes(32).toString("base64") },
    },
    allow: [409],
  });
  if (res.status === 409) {
    const raced = await read();
    if (raced) return raced;
  }
  const created = await read();
  if (!created) throw new Error(`could not read the config-hash key Secret ${namespace}/${HASH_KEY_SECRET} after creating it`);
  return created;
}
