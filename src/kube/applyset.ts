/**
 * The inventory, in the ApplySet convention (KEP-3659) exactly as kubectl ships it: a parent Secret in
 * the namespace carries `applyset.kubernetes.io/id` (derived from the parent's identity, so it cannot
 * be impersonated), `…/tooling` and `…/contains-group-kinds`; members carry `…/part-of: <id>`.
 * kubectl recognises the parent and refuses to mutate a set whose tooling is another tool's.
 */
import { createHash } from "node:crypto";
import { KubeApiError, type KubeClient, type KubeObject } from "./client.js";
import { FIELD_MANAGER } from "./apply.js";

export const LABEL_ID = "applyset.kubernetes.io/id";
export const LABEL_PART_OF = "applyset.kubernetes.io/part-of";
export const ANNOTATION_TOOLING = "applyset.kubernetes.io/tooling";
export const ANNOTATION_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds";
/**
 * sealsync's own inventory on the parent: every object it applied, by "group/Kind/name". Only these are
 * ever pruned or updated without adoption — a part-of label anyone with `patch` can add proves nothing.
 */
export const ANNOTATION_INVENTORY = "sealsync.dev/inventory";
export const DEFAULT_PARENT_NAME = "sealsync";

export interface GroupKind {
  group: string;
  kind: string;
}

/** "Kind.group", or "Kind" for the core group — kubectl's schema.GroupKind.String(). */
export function formatGroupKind(gk: GroupKind): string {
  return gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
}

export function parseGroupKind(s: string): GroupKind {
  const i = s.indexOf(".");
  return i < 0 ? { kind: s, group: "" } : { kind: s.slice(0, i), group: s.slice(i + 1) };
}

/** kubectl's ID: applyset-<base64url(sha256("<name>.<namespace>.<Kind>.<group>"))>-v1. */
export function applySetId(name: string, namespace: string, kind = "Secret", group = ""): string {
  const hash = createHash("sha256").update([name, namespace, kind, group].join(".")).digest("base64url");
  return `applyset-${hash}-v1`;
}

export class ApplySetConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApplySetConflictError";
  }
}

export interface ApplySetParent {
  name: string;
  namespace: string;
  id: string;
  tooling: string;
  /** Group-kinds the parent currently lists (empty when it does not exist yet). */
  groupKinds: string[];
  /** Objects sealsync applied ("group/Kind/name"); undefined for a parent written before inventories. */
  inventory?: string[];
  exists: boolean;
}

export async function readParent(client: KubeClient, namespace: string, name: string, tooling: string): Promise<ApplySetParent> {
  const id = applySetId(name, namespace);
  const res = await client.request<KubeObject>("GET",
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`, { allow: [404] });
  if (res.status === 404) return { name, namespace, id, tooling, groupKinds: [], inventory: [], exists: false };
  const labels = res.body.metadata.labels ?? {};
  const annotations = res.body.metadata.annotations ?? {};
  if (labels[LABEL_ID] !== id) {
    throw new ApplySetConflictError(`Secret ${namespace}/${name} exists but is not this ApplySet's parent ` +
      `(label ${LABEL_ID} is ${JSON.stringify(labels[LABEL_ID] ?? null)}, expected ${id}); ` +
      "delete it or choose another --applyset-name");
  }
  const theirs = annotations[ANNOTATION_TOOLING] ?? "";
  if (!theirs.startsWith(`${tooling.split("/")[0]}/`)) {
    throw new ApplySetConflictError(`ApplySet ${namespace}/${name} is managed by ${JSON.stringify(theirs)}, not sealsync; ` +
      "refusing to take it over");
  }
  const gks = (annotations[ANNOTATION_GROUP_KINDS] ?? "").split(",").filter(Boolean);
  const inventory = annotations[ANNOTATION_INVENTORY]?.split(",").filter(Boolean);
  return { name, namespace, id, tooling, groupKinds: gks, inventory, exists: true };
}

/** Writes the parent with exactly these group-kinds and inventory (server-side apply; the parent holds no data). */
export async function writeParent(client: KubeClient, parent: ApplySetParent, groupKinds: string[], inventory: string[]): Promise<ApplySetParent> {
  const sorted = [...new Set(groupKinds)].sort();
  const members = [...new Set(inventory)].sort();
  const body = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [LABEL_ID]: parent.id },
      annotations: {
        [ANNOTATION_TOOLING]: parent.tooling, [ANNOTATION_GROUP_KINDS]: sorted.join(","), [ANNOTATION_INVENTORY]: members.join(","),
      },
    },
  };
  try {
    await client.request("PATCH",
      `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/secrets/${encodeURIComponent(parent.name)}`,
      { body, contentType: "application/apply-patch+yaml", query: { fieldManager: FIELD_MANAGER, force: "true" } });
  } catch (err) {
    if (err instanceof KubeApiError) throw new KubeApiError(err.status, err.reason, `updating the ApplySet parent: ${err.message}`);
    throw err;
  }
  return { ...parent, groupKinds: sorted, inventory: members, exists: true };
}
