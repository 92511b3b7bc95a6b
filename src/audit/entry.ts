/**
 * The audit vocabulary: a closed set of actions, each a flat record of scalar fields.
 *
 * Fields name subjects (objects, files, revisions, key ids), never values: there is no field a
 * decrypted value could go in, and the writer drops anything not listed here (see schema.ts).
 * The table is the single source of truth: the TypeScript types, validation, canonical field order
 * and the CSV columns are all derived from it.
 */

interface FieldSpec {
  readonly type: "string" | "int" | "enum";
  readonly optional: boolean;
  readonly values?: readonly string[];
}

const string = { type: "string", optional: false } as const;
const int = { type: "int", optional: false } as const;
const optString = { type: "string", optional: true } as const;
const optInt = { type: "int", optional: true } as const;
function oneOf<const V extends readonly string[]>(...values: V) {
  return { type: "enum", optional: false, values } as const;
}
function optOneOf<const V extends readonly string[]>(...values: V) {
  return { type: "enum", optional: true, values } as const;
}

/** The object an action touched. `group` is "" for the core API group (v1 Secret, ConfigMap…). */
const OBJECT = { group: string, kind: string, namespace: string, name: string } as const;
const OPTIONAL_OBJECT = { group: optString, kind: optString, namespace: optString, name: optString } as const;

/** Why a sync was started; the reconcile loop's wake-up sources. */
export const SYNC_TRIGGERS = ["startup", "timer", "webhook", "signal", "drift", "manual", "keys", "leader"] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];
/**
 * Why a sync failed, one word (the Reason of its Event and status): the Git fetch, its signature check or a
 * rollback; the revision's
 * documents (DecryptFailed when every refused document failed to decrypt); a guard or the API server's
 * dry-run; the ApplySet inventory; the apply itself.
 */
export const FAILURE_REASONS = [
  "FetchFailed", "VerificationFailed", "RollbackRefused", "ValidationFailed", "DecryptFailed", "ReconcileRefused", "InventoryConflict", "ApplyFailed",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
/** Commit signature status: "not-checked" when --verify is off. */
export const SIGNATURE_STATUSES = ["verified", "unsigned", "invalid", "not-checked"] as const;
/** --verify modes. */
export const VERIFY_MODES = ["head", "tag", "tag-and-head", "strict"] as const;

/** Every action and its fields, in canonical order. Field names must keep one type across actions. */
export const ACTIONS = {
  "daemon-start": { version: string, namespace: optString, identity: optString, pid: optInt },
  "daemon-stop": { reason: string, identity: optString },
  "sync-started": {
    revision: string, ref: optString, trigger: optOneOf(...SYNC_TRIGGERS),
    author: optString, committer: optString, commitTime: optString, subject: optString,
    signature: optOneOf(...SIGNATURE_STATUSES), signer: optString, verifyMode: optOneOf(...VERIFY_MODES),
  },
  // A revision refused by --verify: `object` names the commit or tag that failed, `signer` its key fingerprint.
  "verification-failed": { revision: optString, ref: optString, verifyMode: optOneOf(...VERIFY_MODES), object: optString, signer: optString, message: string },
  // The target does not descend from the last applied commit (`from`): rewound (ancestor) or force-pushed (diverged).
  "source-rewound": { revision: string, from: string, rewind: oneOf("ancestor", "diverged"), refused: oneOf("yes", "no"), ref: optString },
  "sync-finished": { revision: string, created: int, configured: int, unchanged: int, pruned: int, durationMs: optInt },
  // `message` is an error text, which by the project's rule never holds a decrypted value.
  "sync-failed": { reason: oneOf(...FAILURE_REASONS), revision: optString, message: optString, durationMs: optInt },
  "object-created": { ...OBJECT, revision: string, uid: optString, resourceVersion: optString },
  "object-configured": { ...OBJECT, revision: string, uid: optString, resourceVersion: optString },
  // `revision` is the revision whose absence of the object caused the prune.
  "object-pruned": { ...OBJECT, revision: string, uid: optString },
  // `fieldManager` is the manager that changed the object behind our back.
  "drift-corrected": { ...OBJECT, revision: optString, uid: optString, resourceVersion: optString, fieldManager: optString },
  // --no-self-heal: the drift was seen and reported, not corrected.
  "drift-detected": { ...OBJECT, revision: optString, fieldManager: optString },
  "rejected": { rule: string, revision: optString, file: optString, document: optInt, ...OPTIONAL_OBJECT, message: optString },
  // `keyId` identifies the key (age recipient, certificate fingerprint): public, never key material.
  "decrypted": { file: string, document: int, format: oneOf("sops", "sealed"), keyId: string, revision: optString, ...OPTIONAL_OBJECT },
  // `keyIds`: comma-separated public key ids now loaded.
  "key-reload": { keys: int, source: optString, keyIds: optString },
  // A workload's pods roll because values it reads changed; `changedKeys`: "Secret/name:key,…" (names only).
  "restart-triggered": { ...OBJECT, revision: string, changedKeys: optString },
  // The applied revision's health became final; `failing`: "Kind/name: Reason" per failing object.
  "revision-health": { revision: string, phase: oneOf("Ready", "Degraded"), reason: optString, failing: optString, durationMs: optInt },
  "leader-acquired": { identity: string, lease: optString },
  "leader-lost": { identity: string, lease: optString },
  // Written by the log itself, never by callers: the first entry of every file after a rotation
  // (it links to the last entry of `previousFile`), and the record of a repaired crash tail.
  "log-rotated": { previousFile: string },
  "log-repaired": { droppedBytes: int },
} as const satisfies Record<string, Readonly<Record<string, FieldSpec>>>;

export type AuditAction = keyof typeof ACTIONS;
/** Actions only the log writes; `append` refuses them. */
export const WRITER_ACTIONS = ["log-rotated", "log-repaired"] as const;
export type WriterAction = (typeof WRITER_ACTIONS)[number];
export type CallerAction = Exclude<AuditAction, WriterAction>;

export const AUDIT_ACTIONS = Object.keys(ACTIONS) as AuditAction[];
export const CALLER_ACTIONS = AUDIT_ACTIONS.filter((a): a is CallerAction => !(WRITER_ACTIONS as readonly string[]).includes(a));

type ValueOf<F> = F extends { type: "int" } ? number : F extends { type: "enum"; values: readonly (infer V)[] } ? V : string;
type RequiredKeys<S> = { [K in keyof S]: S[K] extends { optional: true } ? never : K }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type FieldsOf<S> = { -readonly [K in RequiredKeys<S>]: ValueOf<S[K]> } & { -readonly [K in Exclude<keyof S, RequiredKeys<S>>]?: ValueOf<S[K]> };

/** What every entry carries besides its action's fields. */
export interface EntryHeader {
  /** 1, 2, 3… across rotated files; gaps and repeats are tampering. */
  seq: number;
  /** RFC 3339, UTC, millisecond precision. */
  ts: string;
  /** Hex SHA-256 of the previous entry's exact line bytes (without the newline); null for entry 1. */
  prev: string | null;
  /** Hex HMAC-SHA256 of this entry's unsigned canonical line, when the log has a key. */
  mac?: string;
}

type EventOf<A extends AuditAction> = Simplify<{ action: A } & FieldsOf<(typeof ACTIONS)[A]>>;

/** What a caller passes to `append`: an action and its fields; the log adds the header. */
export type AuditEvent = { [A in CallerAction]: EventOf<A> }[CallerAction];
/** A written entry. */
export type AuditEntry = { [A in AuditAction]: Simplify<EntryHeader & EventOf<A>> }[AuditAction];

export type FieldType = "string" | "int" | "enum";
export interface FieldInfo {
  name: string;
  type: FieldType;
  optional: boolean;
  values?: readonly string[];
}

/** The fields of an action in canonical order. */
export function fieldsOf(action: AuditAction): FieldInfo[] {
  return Object.entries(ACTIONS[action] as Record<string, FieldSpec>).map(([name, spec]) => ({ name, ...spec }));
}

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === "string" && Object.hasOwn(ACTIONS, value);
}

/** Every action field name once, in first-seen order: the body columns of CSV exports. */
export const ALL_FIELDS: readonly FieldInfo[] = (() => {
  const seen = new Map<string, FieldInfo>();
  for (const action of AUDIT_ACTIONS) {
    for (const field of fieldsOf(action)) {
      const known = seen.get(field.name);
      // One type per name keeps a CSV column and the --kind filter meaningful.
      if (known && (known.type === "int") !== (field.type === "int")) {
        throw new Error(`audit schema: field "${field.name}" has two types`);
      }
      if (!known) seen.set(field.name, { ...field, optional: true });
    }
  }
  return [...seen.values()];
})();

export const HEADER_FIELDS = ["seq", "ts", "action", "prev", "mac"] as const;
