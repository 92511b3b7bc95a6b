/**
 * Git writers own the app, not the keys (DESIGN.md invariant 6). Whoever can push decides what runs in
 * the namespace, but a revision may never touch what sealsync itself stands on:
 *
 *   reserved      its key Secrets (by name, and any Secret carrying a key label), its ApplySet parent,
 *                 its Lease and its ServiceAccount: never created, changed or labelled by a revision;
 *   key-access    a pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, …)
 *                 that mounts or reads a key Secret or runs as sealsync's ServiceAccount, and a
 *                 `kubernetes.io/service-account-token` Secret for that ServiceAccount;
 *   foreign-subject  (unless allowed) a RoleBinding granting rights to anyone outside the namespace:
 *                 another namespace's ServiceAccounts, every ServiceAccount, every authenticated or
 *                 unauthenticated user.
 *
 * Each check looks at the document only; what exists live (an object sealsync did not create) is
 * judged by the reconcile (see src/reconcile/sync.ts, "adopt").
 */
import { SEALED_SECRETS_KEY_LABEL, SEALSYNC_KEY_LABEL } from "../crypto/sealed/key-secret.js";

/** The key Secret deploy/ mounts; reserved unless --key-secret names others. */
export const DEFAULT_KEY_SECRET = "sealsync-keys";

/** Labels that make a Secret a key Secret (--keys-from-secrets reads them), or an ApplySet parent. */
export const KEY_LABELS = [SEALSYNC_KEY_LABEL, SEALED_SECRETS_KEY_LABEL];
const PARENT_ID_LABEL = "applyset.kubernetes.io/id";

/** What sealsync stands on, by name, in its own namespace. */
export interface ProtectedObjects {
  /** Secrets holding keys: the mounted key Secret (--key-secret) and those loaded by label. */
  keySecrets: string[];
  /** The ApplySet parent Secret. */
  parent: string;
  /** The leader-election Lease. */
  lease: string;
  /** sealsync's own ServiceAccount in this namespace, when known. */
  serviceAccount?: string;
  /** Let RoleBindings name subjects outside the namespace (--allow-foreign-subjects). */
  allowForeignSubjects?: boolean;
}

export interface ProtectionViolation {
  rule: "reserved" | "key-access" | "foreign-subject";
  reason: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const group = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  "/Pod": ["spec"],
  "/PodTemplate": ["template", "spec"],
  "/ReplicationController": ["spec", "template", "spec"],
  "apps/Deployment": ["spec", "template", "spec"],
  "apps/StatefulSet": ["spec", "template", "spec"],
  "apps/DaemonSet": ["spec", "template", "spec"],
  "apps/ReplicaSet": ["spec", "template", "spec"],
  "batch/Job": ["spec", "template", "spec"],
  "batch/CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

function dig(obj: Obj, path: string[]): Obj | undefined {
  let at: unknown = obj;
  for (const k of path) at = isObj(at) ? at[k] : undefined;
  return isObj(at) ? at : undefined;
}

/** Every problem of one document (its body, identity, and the namespace it goes to). */
export function checkProtected(body: Obj, apiVersion: string, kind: string, name: string, namespace: string, p: ProtectedObjects): ProtectionViolation[] {
  const out: ProtectionViolation[] = [];
  const g = group(apiVersion);
  const metadata = isObj(body.metadata) ? body.metadata : {};
  const labels = isObj(metadata.labels) ? metadata.labels : {};

  if (g === "" && kind === "Secret") {
    if (name === p.parent) out.push({ rule: "reserved", reason: `Secret/${name} is sealsync's inventory (the ApplySet parent, --applyset-name); a revision may not define it: rename yours` });
    else if (p.keySecrets.includes(name)) out.push({ rule: "reserved", reason: `Secret/${name} is one of sealsync's key Secrets; a revision may never create or change it: rename yours` });
    const keyLabel = KEY_LABELS.find((l) => l in labels);
    if (keyLabel) out.push({ rule: "reserved", reason: `label ${keyLabel} marks sealsync's key Secrets; a revision may not set it (keys are installed by an operator, never from Git)` });
    const annotations = isObj(metadata.annotations) ? metadata.annotations : {};
    const account = annotations["kubernetes.io/service-account.name"];
    if (body.type === "kubernetes.io/service-account-token" && p.serviceAccount !== undefined && account === p.serviceAccount) {
      out.push({ rule: "key-access", reason: `a service-account-token Secret for sealsync's ServiceAccount "${p.serviceAccount}" would hand its token (and its rights on the key Secrets) to whoever reads it` });
    }
  }
  if (PARENT_ID_LABEL in labels) out.push({ rule: "reserved", reason: `label ${PARENT_ID_LABEL} marks an ApplySet parent; a revision may not set it` });
  if (g === "coordination.k8s.io" && kind === "Lease" && name === p.lease) {
    out.push({ rule: "reserved", reason: `Lease/${name} is sealsync's leader-election Lease (--lease-name); a revision may not define it` });
  }
  if (g === "" && kind === "ServiceAccount" && p.serviceAccount !== undefined && name === p.serviceAccount) {
    out.push({ rule: "reserved", reason: `ServiceAccount/${name} is the one sealsync runs as; a revision may not define it` });
  }

  const specPath = POD_SPEC_PATHS[`${g}/${kind}`];
  const spec = specPath ? dig(body, specPath) : undefined;
  if (spec) out.push(...checkPodSpec(spec, p));

  if (g === "rbac.authorization.k8s.io" && kind === "RoleBinding" && !p.allowForeignSubjects) {
    for (const s of list(body.subjects)) {
      const foreign = foreignSubject(s, namespace);
      if (foreign) out.push({ rule: "foreign-subject", reason: `subject ${foreign}; a RoleBinding from Git may only grant rights inside the namespace (pass --allow-foreign-subjects to allow it)` });
    }
  }
  return out;
}

function checkPodSpec(spec: Obj, p: ProtectedObjects): ProtectionViolation[] {
  const out: ProtectionViolation[] = [];
  const account = typeof spec.serviceAccountName === "string" ? spec.serviceAccountName
    : typeof spec.serviceAccount === "string" ? spec.serviceAccount : "default";
  if (p.serviceAccount !== undefined && account === p.serviceAccount) {
    out.push({ rule: "key-access", reason: `its pods would run as sealsync's ServiceAccount "${account}"${spec.serviceAccountName === undefined && spec.serviceAccount === undefined ? " (the namespace's default, which sealsync runs as)" : ""} and so could read the key Secrets: give them their own ServiceAccount` });
  }
  const keySecret = (n: unknown) => typeof n === "string" && p.keySecrets.includes(n);
  for (const v of list(spec.volumes)) {
    const secret = isObj(v.secret) ? v.secret : undefined;
    if (secret && keySecret(secret.secretName)) out.push(mounts(String(secret.secretName), `volume ${String(v.name)}`));
    const projected = isObj(v.projected) ? v.projected : undefined;
    for (const src of list(projected?.sources)) {
      const s = isObj(src.secret) ? src.secret : undefined;
      if (s && keySecret(s.name)) out.push(mounts(String(s.name), `projected volume ${String(v.name)}`));
    }
  }
  for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
    for (const c of list(spec[field])) {
      for (const e of list(c.env)) {
        const ref = isObj(e.valueFrom) && isObj(e.valueFrom.secretKeyRef) ? e.valueFrom.secretKeyRef : undefined;
        if (ref && keySecret(ref.name)) out.push(mounts(String(ref.name), `env ${String(e.name)} of container ${String(c.name)}`));
      }
      for (const e of list(c.envFrom)) {
        const ref = isObj(e.secretRef) ? e.secretRef : undefined;
        if (ref && keySecret(ref.name)) out.push(mounts(String(ref.name), `envFrom of container ${String(c.name)}`));
      }
    }
  }
  return out;
}

function mounts(secret: string, where: string): ProtectionViolation {
  return { rule: "key-access", reason: `${where} reads sealsync's key Secret ${secret}; a workload from Git may never read the keys` };
}

/** Why a RoleBinding subject reaches outside the namespace, or undefined. */
function foreignSubject(s: Obj, namespace: string): string | undefined {
  const name = typeof s.name === "string" ? s.name : "";
  if (s.kind === "ServiceAccount") {
    const ns = typeof s.namespace === "string" ? s.namespace : undefined;
    return ns !== undefined && ns !== namespace ? `ServiceAccount ${ns}/${name} is in another namespace` : undefined;
  }
  if (name === "system:anonymous" || name === "system:unauthenticated") return `${String(s.kind)} ${name} is anyone, unauthenticated`;
  if (name === "system:authenticated") return `${String(s.kind)} ${name} is every user of the cluster`;
  if (name === "system:serviceaccounts") return `${String(s.kind)} ${name} is every ServiceAccount of the cluster`;
  if (name.startsWith("system:serviceaccounts:") && name !== `system:serviceaccounts:${namespace}`) {
    return `${String(s.kind)} ${name} is another namespace's ServiceAccounts`;
  }
  if (name.startsWith("system:serviceaccount:")) {
    const [, , ns] = name.split(":");
    if (ns !== namespace) return `${String(s.kind)} ${name} is in another namespace`;
  }
  return undefined;
}
