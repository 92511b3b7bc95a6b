/**
 * Makes one revision true in the namespace. The recipe (each step fails the whole revision, and nothing
 * is applied unless every earlier step passed):
 *   desired set (parse, decrypt in memory, validate, refuse what touches sealsync's own objects) → read
 *   the ApplySet parent (ignoring kinds outside the namespace) → list live members, keeping only those
 *   its inventory names → refuse to take over an existing object sealsync did not apply (unless that
 *   object is annotated sealsync.dev/adopt: "true") → guards (empty set, max prune) → dry-run every
 *   object (the plan) → parent := superset of old and new kinds and objects → apply what changed,
 *   stage by stage → prune what left Git → parent := current kinds and objects.
 * What the API server says about a decrypted object (or any Secret) is never passed on: only its
 * status, reason and field paths (its message may quote the values).
 */
import { isDeepStrictEqual } from "node:util";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { Discovery, type ResourceInfo } from "../kube/discovery.js";
import { FIELD_MANAGER, applyObject, comparable, ApplyError } from "../kube/apply.js";
import {
  DEFAULT_PARENT_NAME, LABEL_PART_OF, formatGroupKind, parseGroupKind, readParent, writeParent,
} from "../kube/applyset.js";
import { DEFAULT_LEASE_NAME } from "../kube/lease.js";
import { deleteMember, listMembers } from "../kube/prune.js";
import { ownServiceAccount } from "../kube/whoami.js";
import { loadPlaceholderKey, placeholderKeyName } from "../kube/placeholder-key.js";
import { buildKustomization, type BuiltDocument } from "../build/kustomize/index.js";
import { buildDesiredSet, objectKey, type DesiredObject } from "../manifests/desired.js";
import type { DocumentDecryptor } from "../manifests/decrypt.js";
import { describeRef } from "../manifests/errors.js";
import { DEFAULT_KEY_SECRET, KEY_LABELS } from "../manifests/protect.js";
import { pruneOrder, stageOf } from "../manifests/order.js";
import type { Revision } from "../source/revision.js";
import { mapLimit } from "../util/concurrency.js";
import { VERSION } from "../version.js";
import type { Change } from "../kube/changeset.js";
import { diffObjects, redactSecrets, secretValuesOf, type FieldChange } from "./diff.js";
import { DIGEST_ANNOTATION, provablyUnchanged, sourceDigest } from "./unchanged.js";

export interface ReconcileOptions {
  client: KubeClient;
  discovery: Discovery;
  namespace: string;
  decryptors: DocumentDecryptor[];
  applySetName?: string;
  /** Delete members that left Git (default true). */
  prune?: boolean;
  /** Allow a revision with no objects to prune everything. */
  allowEmpty?: boolean;
  /** Most members one run may delete; default: half of the managed objects. */
  maxPrune?: number;
  /** Ignore maxPrune. */
  forcePrune?: boolean;
  /** Take over fields owned by other managers (default true). */
  forceConflicts?: boolean;
  /** Plan only: dry-run everything, change nothing. */
  dryRun?: boolean;
  concurrency?: number;
  /** Names of the key Secrets a revision may never touch (default: sealsync-keys, as in deploy/). */
  keySecrets?: string[];
  /** The leader-election Lease a revision may not define (default sealsync-leader). */
  leaseName?: string;
  /** sealsync's ServiceAccount (default: asked of the API server; see kube/whoami.ts). */
  serviceAccount?: string;
  /** Allow RoleBindings to name subjects outside the namespace. */
  allowForeignSubjects?: boolean;
  /** How a revision holding a kustomization is built: the kustomize binary, and where its temporary tree goes. */
  kustomize?: { command?: string; dataDir: string };
  /** Test-only: called between the steps, by name; throwing there simulates an interrupted run. */
  onStep?: (step: "applied" | "pruned") => void | Promise<void>;
}

export interface PlannedObject {
  action: "create" | "configure" | "unchanged" | "prune";
  subject: string;
  kind: string;
  name: string;
  /** Field changes of a "configure", computed for plans (dryRun) only. */
  diff: FieldChange[];
  decryption?: DesiredObject["decryption"];
}

export interface ReconcileResult {
  revision: Revision;
  changes: Change[];
  plan: PlannedObject[];
  desired: DesiredObject[];
  /** True when anything failed (then nothing was pruned). */
  failed: boolean;
  /** The resourceVersion of each kind's member list ("group/Kind" →), where watches can start. */
  listedAt: Map<string, string>;
  /** Things skipped or ignored that a user should know about (the managed Namespace in a kustomize build,
   *  bad inventory entries, labels sealsync did not set, adoptions). */
  warnings: string[];
}

/** The annotation by which the owner of an existing object hands it to sealsync. */
export const ADOPT_ANNOTATION = "sealsync.dev/adopt";

/** A revision that passed validation but was refused by a guard or by the API server's dry-run. */
export class ReconcileRefusedError extends Error {
  constructor(readonly revision: string, readonly reasons: string[]) {
    super(`revision ${revision.slice(0, 12)} refused, nothing applied:\n${reasons.map((r) => `  - ${r}`).join("\n")}`);
    this.name = "ReconcileRefusedError";
  }
}

interface Live {
  info: ResourceInfo;
  object: KubeObject;
}

export async function reconcile(revision: Revision, opts: ReconcileOptions): Promise<ReconcileResult> {
  const { client, namespace } = opts;
  const parentName = opts.applySetName ?? DEFAULT_PARENT_NAME;
  const concurrency = opts.concurrency ?? 8;

  // 1. The desired set, all or nothing (a kustomization is built first, secrets replaced by placeholders).
  const keyName = placeholderKeyName(parentName);
  let built: BuiltDocument[] | undefined;
  const warnings: string[] = [];
  if (revision.kustomize) {
    const key = await loadPlaceholderKey(client, namespace, keyName, { create: !opts.dryRun });
    const build = await buildKustomization(revision, {
      decryptors: opts.decryptors, key, namespace,
      dataDir: opts.kustomize?.dataDir ?? "/var/lib/sealsync", command: opts.kustomize?.command,
    });
    built = build.documents;
    warnings.push(...build.warnings);
  }
  const account = opts.serviceAccount !== undefined ? { namespace, name: opts.serviceAccount } : await ownServiceAccount(client);
  const desired = await buildDesiredSet(revision, {
    namespace, discovery: opts.discovery, decryptors: opts.decryptors, built,
    reserved: [{ kind: "Secret", name: keyName }],
    protect: {
      keySecrets: opts.keySecrets ?? [DEFAULT_KEY_SECRET], parent: parentName, lease: opts.leaseName ?? DEFAULT_LEASE_NAME,
      serviceAccount: account?.namespace === namespace ? account.name : undefined, allowForeignSubjects: opts.allowForeignSubjects,
    },
  });

  // 2. The inventory parent, and every live member of every kind it or the revision names. Only kinds
  //    inside the namespace count: an entry naming a cluster-scoped or unknown kind is ignored.
  const parent = await readParent(client, namespace, parentName, `sealsync/v${VERSION}`);
  const newGks = [...new Set(desired.map((d) => formatGroupKind({ group: d.resource.group, kind: d.resource.kind })))].sort();
  const kinds = new Map<string, ResourceInfo>();
  for (const d of desired) kinds.set(formatGroupKind(d.resource), d.resource);
  await mapLimit(parent.groupKinds.filter((gk) => !kinds.has(gk)), concurrency, async (gkText) => {
    const gk = parseGroupKind(gkText);
    const info = await opts.discovery.resolveGroupKind(gk.group, gk.kind);
    if (!info) warnings.push(`the inventory lists ${gkText}, which the API server does not serve; ignored`);
    else if (!info.namespaced) warnings.push(`the inventory lists ${gkText}, which is cluster-scoped; ignored (sealsync never lists or deletes outside its namespace)`);
    else kinds.set(gkText, info);
  });
  const allGks = [...kinds.keys()].sort();
  // Ours: what the parent's inventory names (or, for a parent from before inventories, what our field
  // manager applied). A part-of label alone proves nothing: anyone with `patch` can add one.
  const inventory = parent.inventory ? new Set(parent.inventory) : undefined;
  const ours = (key: string, obj: KubeObject) => (inventory ? inventory.has(key) : appliedByUs(obj));
  const live = new Map<string, Live>();
  const listedAt = new Map<string, string>();
  await mapLimit([...kinds.values()], concurrency, async (info) => {
    const members = await listMembers(client, info, namespace, parent.id);
    listedAt.set(`${info.group}/${info.kind}`, members.resourceVersion);
    for (const obj of members.items) {
      const key = objectKey(info.apiVersion, info.kind, obj.metadata.name);
      if (ours(key, obj)) live.set(key, { info, object: obj });
      else warnings.push(`${info.kind}/${obj.metadata.name} carries sealsync's ${LABEL_PART_OF} label but sealsync did not apply it; ignored (never pruned)`);
    }
  });
  const desiredKeys = new Set(desired.map((d) => d.key));
  const stale = [...live.entries()].filter(([key]) => !desiredKeys.has(key)).map(([, l]) => l);

  // 2b. No silent adoption: an object of the revision that exists but is not ours is a conflict, unless
  //     its owner annotated it sealsync.dev/adopt: "true". A Secret labelled as a key is never touched.
  const refusals: string[] = [];
  await mapLimit(desired, concurrency, async (d) => {
    let existing = live.get(d.key)?.object;
    const member = existing !== undefined;
    if (!existing) {
      const res = await client.request<KubeObject>("GET", Discovery.path(d.resource, namespace, d.object.metadata.name), { allow: [404] });
      if (res.status === 404) return;
      existing = { ...res.body, apiVersion: d.resource.apiVersion, kind: d.resource.kind };
    }
    const keyLabel = d.resource.group === "" && d.resource.kind === "Secret" ? KEY_LABELS.find((l) => existing.metadata.labels?.[l] !== undefined) : undefined;
    if (keyLabel) {
      refusals.push(`${describeRef(d.ref)}: the live Secret/${d.object.metadata.name} is labelled ${keyLabel}, one of sealsync's key Secrets; ` +
        "a revision may never change it (rule reserved)");
    } else if (member || ours(d.key, existing)) {
      live.set(d.key, { info: d.resource, object: existing });
    } else if (existing.metadata.annotations?.[ADOPT_ANNOTATION] === "true") {
      live.set(d.key, { info: d.resource, object: existing });
      warnings.push(`${d.object.kind}/${d.object.metadata.name} exists and is annotated ${ADOPT_ANNOTATION}: "true"; sealsync takes it over`);
    } else {
      refusals.push(`${describeRef(d.ref)}: ${d.object.kind}/${d.object.metadata.name} already exists and sealsync did not create it; ` +
        `refusing to take it over (rule adopt). Rename yours, or have its owner annotate the live object ${ADOPT_ANNOTATION}="true"`);
    }
  });
  if (refusals.length > 0) throw new ReconcileRefusedError(revision.sha, refusals.sort());

  // 3. Guards, before anything is written.
  const prune = opts.prune ?? true;
  if (desired.length === 0 && live.size > 0 && !opts.allowEmpty) {
    throw new ReconcileRefusedError(revision.sha, [
      `the revision has no objects but ${live.size} are managed; refusing to delete them all (pass --allow-empty if that is intended)`]);
  }
  if (prune && !opts.forcePrune) {
    const limit = opts.maxPrune ?? Math.floor(live.size / 2);
    if (stale.length > limit) {
      throw new ReconcileRefusedError(revision.sha, [
        `${stale.length} of ${live.size} managed objects would be pruned, more than the limit of ${limit}; ` +
        "check the revision, then raise --max-prune or pass --force-prune"]);
    }
  }

  // 4. The plan: dry-run every object that may change; any refusal by the API server refuses the revision.
  for (const d of desired) {
    d.object.metadata.labels = { ...d.object.metadata.labels, [LABEL_PART_OF]: parent.id };
    const digest = sourceDigest(d.source, { namespace, setId: parent.id, tooling: parent.tooling });
    d.object.metadata.annotations = { ...d.object.metadata.annotations, [DIGEST_ANNOTATION]: digest };
  }
  const failures: string[] = [];
  const planned = await mapLimit(desired, concurrency, async (d): Promise<PlannedObject & { d: DesiredObject }> => {
    const current = live.get(d.key)?.object;
    const subject = `${d.object.kind}/${d.object.metadata.name}`;
    if (current && provablyUnchanged(d.object, current)) {
      return { action: "unchanged", subject, kind: d.object.kind, name: d.object.metadata.name, diff: [], decryption: d.decryption, d };
    }
    try {
      const { object: dry } = await applyObject(client, d.resource, d.object, { dryRun: true, force: opts.forceConflicts, withholdServerMessage: holdsSecrets(d) });
      const same = current !== undefined && isDeepStrictEqual(comparable(dry), comparable(current));
      const action = same ? "unchanged" : current ? "configure" : "create";
      return { action, subject, kind: d.object.kind, name: d.object.metadata.name, diff: same || !opts.dryRun || !current ? [] : diffObjects(current, dry, { hideAllValues: d.decryption !== undefined }), decryption: d.decryption, d };
    } catch (err) {
      failures.push(`${d.ref.file} (document ${d.ref.index}): ${redactSecrets((err as Error).message, secretValuesOf(d.object, d.decryption !== undefined))}`);
      return { action: "unchanged", subject, kind: d.object.kind, name: d.object.metadata.name, diff: [], d };
    }
  });
  if (failures.length > 0) throw new ReconcileRefusedError(revision.sha, failures);
  const plan: PlannedObject[] = [
    ...planned.map(({ d: _d, ...p }) => p),
    ...(prune ? stale.map((s) => ({ action: "prune" as const, subject: `${s.info.kind}/${s.object.metadata.name}`, kind: s.info.kind, name: s.object.metadata.name, diff: [] })) : []),
  ];
  if (opts.dryRun) return { revision, changes: [], plan, desired, failed: false, listedAt, warnings };

  // 5. Superset first: if this run is interrupted after applying, the parent still names every kind
  //    and object that may be left, so the next run can find and prune them.
  const allKeys = [...new Set([...live.keys(), ...desiredKeys])].sort();
  let current = parent;
  if (!parent.exists || allGks.join(",") !== parent.groupKinds.join(",") || allKeys.join(",") !== (parent.inventory ?? []).join(",")) {
    current = await writeParent(client, parent, allGks, allKeys);
  }

  // 6. Apply what changed, stage by stage (objects of one stage in parallel).
  // Results land in apply order whatever order the parallel requests finish in.
  const applied = new Map<DesiredObject, Change>();
  let failed = false;
  const record = (d: DesiredObject, action: Change["action"], obj?: KubeObject, reason?: string) =>
    applied.set(d, {
      action, group: d.resource.group, kind: d.object.kind, namespace, name: d.object.metadata.name,
      uid: obj?.metadata.uid, resourceVersion: obj?.metadata.resourceVersion, reason,
    });
  const stages = new Map<number, typeof planned>();
  for (const p of planned) {
    const stage = stageOf(p.kind);
    if (!stages.has(stage)) stages.set(stage, []);
    stages.get(stage)?.push(p);
  }
  for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
    await mapLimit(stages.get(stage) ?? [], concurrency, async (p) => {
      if (p.action === "unchanged") {
        record(p.d, "unchanged", live.get(p.d.key)?.object);
        return;
      }
      try {
        const { status, object } = await applyObject(client, p.d.resource, p.d.object, { force: opts.forceConflicts, withholdServerMessage: holdsSecrets(p.d) });
        record(p.d, status === 201 ? "created" : "configured", object);
      } catch (err) {
        failed = true;
        const message = err instanceof ApplyError ? err.message : (err as Error).message;
        record(p.d, "failed", undefined, redactSecrets(message, secretValuesOf(p.d.object, p.d.decryption !== undefined)));
      }
    });
  }
  const changes: Change[] = desired.flatMap((d) => applied.get(d) ?? []);
  await opts.onStep?.("applied");

  // 7. Prune what left Git — never after a failure anywhere in this revision.
  if (prune && !failed) {
    for (const s of pruneOrder(stale, (l) => ({ kind: l.info.kind, name: l.object.metadata.name }))) {
      try {
        const outcome = await deleteMember(client, s.info, s.object);
        if (outcome === "deleted") {
          changes.push({ action: "pruned", group: s.info.group, kind: s.info.kind, namespace, name: s.object.metadata.name, uid: s.object.metadata.uid });
        }
      } catch (err) {
        failed = true;
        changes.push({ action: "failed", group: s.info.group, kind: s.info.kind, namespace, name: s.object.metadata.name, reason: `prune: ${(err as Error).message}` });
      }
    }
    await opts.onStep?.("pruned");
    // 8. Shrink the parent to the kinds and objects this revision has, now that nothing else is left.
    const newKeys = [...desiredKeys].sort();
    if (!failed && (newGks.join(",") !== current.groupKinds.join(",") || newKeys.join(",") !== (current.inventory ?? []).join(","))) {
      await writeParent(client, current, newGks, newKeys);
    }
  }
  return { revision, changes, plan, desired, failed, listedAt, warnings };
}

/** Objects whose API-server messages may quote secret values: anything decrypted, and every Secret. */
function holdsSecrets(d: DesiredObject): boolean {
  return d.decryption !== undefined || (d.resource.group === "" && d.resource.kind === "Secret");
}

/** A parent from before inventories: ours is what our field manager applied. */
function appliedByUs(obj: KubeObject): boolean {
  const fields = obj.metadata.managedFields;
  return Array.isArray(fields) && fields.some((m) => (m as { manager?: unknown; operation?: unknown }).manager === FIELD_MANAGER &&
    (m as { operation?: unknown }).operation === "Apply");
}
