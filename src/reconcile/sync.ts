/**
 * Makes one revision true in the namespace. The recipe (each step fails the whole revision, and nothing
 * is applied unless every earlier step passed):
 *   desired set (parse, decrypt in memory, validate) → read the ApplySet parent → list live members →
 *   guards (empty set, max prune) → dry-run every object (the plan) → parent := superset of old and new
 *   kinds → apply what changed, stage by stage → prune what left Git → parent := current kinds.
 */
import { isDeepStrictEqual } from "node:util";
import type { KubeClient, KubeObject } from "../kube/client.js";
import type { Discovery, ResourceInfo } from "../kube/discovery.js";
import { applyObject, comparable, ApplyError } from "../kube/apply.js";
import {
  DEFAULT_PARENT_NAME, LABEL_PART_OF, formatGroupKind, parseGroupKind, readParent, writeParent,
} from "../kube/applyset.js";
import { deleteMember, listMembers } from "../kube/prune.js";
import { loadPlaceholderKey, placeholderKeyName } from "../kube/placeholder-key.js";
import { buildKustomization, type BuiltDocument } from "../build/kustomize/index.js";
import { buildDesiredSet, objectKey, type DesiredObject } from "../manifests/desired.js";
import type { DocumentDecryptor } from "../manifests/decrypt.js";
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
  /** Things skipped that a user should know about (the managed Namespace in a kustomize build). */
  warnings: string[];
}

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
  const desired = await buildDesiredSet(revision, {
    namespace, discovery: opts.discovery, decryptors: opts.decryptors, built,
    reserved: [{ kind: "Secret", name: parentName }, { kind: "Secret", name: keyName }],
  });

  // 2. The inventory parent, and every live member of every kind it or the revision names.
  const parent = await readParent(client, namespace, parentName, `sealsync/v${VERSION}`);
  const newGks = [...new Set(desired.map((d) => formatGroupKind({ group: d.resource.group, kind: d.resource.kind })))].sort();
  const allGks = [...new Set([...parent.groupKinds, ...newGks])].sort();
  const live = new Map<string, Live>();
  const listedAt = new Map<string, string>();
  await mapLimit(allGks, concurrency, async (gkText) => {
    const gk = parseGroupKind(gkText);
    const info = desired.find((d) => d.resource.group === gk.group && d.resource.kind === gk.kind)?.resource
      ?? await opts.discovery.resolveGroupKind(gk.group, gk.kind);
    if (!info) return; // the kind is no longer served (CRD deleted): nothing of it can be left
    const members = await listMembers(client, info, namespace, parent.id);
    listedAt.set(`${info.group}/${info.kind}`, members.resourceVersion);
    for (const obj of members.items) live.set(objectKey(info.apiVersion, info.kind, obj.metadata.name), { info, object: obj });
  });
  const desiredKeys = new Set(desired.map((d) => d.key));
  const stale = [...live.entries()].filter(([key]) => !desiredKeys.has(key)).map(([, l]) => l);

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
      const { object: dry } = await applyObject(client, d.resource, d.object, { dryRun: true, force: opts.forceConflicts });
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
  //    that may have members, so the next run can find and prune them.
  let current = parent;
  if (!parent.exists || allGks.join(",") !== parent.groupKinds.join(",")) current = await writeParent(client, parent, allGks);

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
        const { status, object } = await applyObject(client, p.d.resource, p.d.object, { force: opts.forceConflicts });
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
    // 8. Shrink the parent to the kinds this revision has, now that nothing of the others is left.
    if (!failed && newGks.join(",") !== current.groupKinds.join(",")) await writeParent(client, current, newGks);
  }
  return { revision, changes, plan, desired, failed, listedAt, warnings };
}
