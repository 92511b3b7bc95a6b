/**
 * Kubernetes Events (core/v1) on the ApplySet parent Secret, so `kubectl describe secret sealsync` and
 * `kubectl get events` tell what the daemon did. Messages are built here, only from change subjects
 * (Kind/name), actions, revisions and failure reasons (error messages, which never carry values): the
 * recorder has no way to put an object's content into an event.
 *
 *   const events = new EventRecorder({ client, parent: { name: "sealsync", namespace, uid }, instance: identity });
 *   await events.synced(revision, changes);      // Normal  ReconciliationSucceeded
 *   await events.failed(revision, err.message);  // Warning ReconciliationFailed
 *   await events.pruned(revision, changes);      // Normal  Pruned           (the pruned subjects)
 *   await events.drift(revision, change, true);  // Normal  DriftCorrected / Warning DriftDetected
 *
 * Repeats of the same event (same type, reason and message) bump `count` and `lastTimestamp` on the
 * existing Event instead of creating another, as kubectl's recorder does. Recording never throws: an
 * Event that cannot be written is reported to onError and the daemon carries on.
 */
import { randomBytes } from "node:crypto";
import { formatChange, subjectOf, type Change } from "./changeset.js";
import { KubeApiError, type KubeClient } from "./client.js";

export type EventType = "Normal" | "Warning";
export type EventReason = "ReconciliationSucceeded" | "ReconciliationFailed" | "Pruned" | "DriftCorrected" | "DriftDetected"
  | "VerificationFailed" | "SourceRewound";

export const REVISION_ANNOTATION = "sealsync.dev/revision";
/** The API server accepts more, but `kubectl describe` and events.k8s.io/v1 stop at 1 KiB. */
export const MAX_MESSAGE_LENGTH = 1024;
const AGGREGATE_CACHE = 256;

export interface EventParent {
  name: string;
  namespace: string;
  uid?: string;
}

export interface EventRecorderOptions {
  client: KubeClient;
  /** The ApplySet parent Secret the events are about. */
  parent: EventParent;
  /** Source component (default "sealsync"). */
  component?: string;
  /** Which replica reports (the leader identity / pod name). */
  instance?: string;
  /** Fold repeats into one Event with a count (default true). */
  aggregate?: boolean;
  onError?: (err: Error) => void;
}

/** What one recorded Event said (also what the tests read back). */
export interface RecordedEvent {
  type: EventType;
  reason: EventReason;
  message: string;
  revision?: string;
}

function revisionText(revision: string | undefined): string {
  return revision ? revision.slice(0, 100) : "(unknown)";
}

/** A summary line, then one line per subject, cut with "… and N more" to fit MAX_MESSAGE_LENGTH. */
export function buildMessage(summary: string, lines: string[]): string {
  let message = summary;
  for (let i = 0; i < lines.length; i++) {
    const more = `\n… and ${lines.length - i} more`;
    const next = `${message}\n${lines[i]}`;
    const room = i === lines.length - 1 ? MAX_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH - more.length - 1;
    if (next.length > room) return `${message}${more}`.slice(0, MAX_MESSAGE_LENGTH);
    message = next;
  }
  return message.slice(0, MAX_MESSAGE_LENGTH);
}

export function syncedMessage(revision: string | undefined, changes: Change[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  const tally = [...counts].map(([action, n]) => `${n} ${action}`).join(", ") || "no objects";
  const changed = changes.filter((c) => c.action !== "unchanged").map(formatChange);
  const head = counts.has("failed") ? `Revision ${revisionText(revision)} applied with failures` : `Applied revision ${revisionText(revision)}`;
  return buildMessage(`${head}: ${tally}`, changed);
}

export function failedMessage(revision: string | undefined, reason: string): string {
  return buildMessage(`Revision ${revisionText(revision)} was not applied: ${reason}`, []);
}

export function prunedMessage(revision: string | undefined, pruned: Change[]): string {
  return buildMessage(`Pruned ${pruned.length} object${pruned.length === 1 ? "" : "s"} no longer in revision ${revisionText(revision)}`,
    pruned.map(subjectOf));
}

export function driftMessage(revision: string | undefined, change: Pick<Change, "kind" | "name">, corrected: boolean, by?: string): string {
  const who = by ? ` by ${by.slice(0, 100)}` : "";
  return corrected
    ? `${subjectOf(change)} was changed${who} in the cluster; re-applied revision ${revisionText(revision)}`
    : `${subjectOf(change)} was changed${who} in the cluster and differs from revision ${revisionText(revision)} (self-heal is off)`;
}

interface Aggregate {
  name: string;
  count: number;
}

export class EventRecorder {
  readonly #opts: EventRecorderOptions;
  readonly #seen = new Map<string, Aggregate>();
  readonly #path: string;
  #stamp = 0;

  constructor(opts: EventRecorderOptions) {
    this.#opts = opts;
    this.#path = `/api/v1/namespaces/${encodeURIComponent(opts.parent.namespace)}/events`;
  }

  /** Normal ReconciliationSucceeded (Warning ReconciliationFailed if a change failed): the counts and every change but "unchanged". */
  synced(revision: string | undefined, changes: Change[]): Promise<void> {
    const failed = changes.filter((c) => c.action === "failed");
    if (failed.length > 0) {
      return this.#record({ type: "Warning", reason: "ReconciliationFailed", message: syncedMessage(revision, changes), revision });
    }
    return this.#record({ type: "Normal", reason: "ReconciliationSucceeded", message: syncedMessage(revision, changes), revision });
  }

  /** Warning ReconciliationFailed, with the error's message (errors never hold values). */
  failed(revision: string | undefined, reason: string): Promise<void> {
    return this.#record({ type: "Warning", reason: "ReconciliationFailed", message: failedMessage(revision, reason), revision });
  }

  /** Normal Pruned, naming the pruned objects (the "pruned" entries of `changes`; nothing when there are none). */
  async pruned(revision: string | undefined, changes: Change[]): Promise<void> {
    const pruned = changes.filter((c) => c.action === "pruned");
    if (pruned.length > 0) await this.#record({ type: "Normal", reason: "Pruned", message: prunedMessage(revision, pruned), revision });
  }

  /** Normal DriftCorrected when re-applied, else Warning DriftDetected; `by` is the other field manager, if known. */
  drift(revision: string | undefined, change: Pick<Change, "kind" | "name">, corrected: boolean, by?: string): Promise<void> {
    return this.#record(corrected
      ? { type: "Normal", reason: "DriftCorrected", message: driftMessage(revision, change, true, by), revision }
      : { type: "Warning", reason: "DriftDetected", message: driftMessage(revision, change, false, by), revision });
  }

  /** Warning VerificationFailed (a signature did not verify) or SourceRewound (the source went back or was force-pushed). */
  sourceWarning(reason: "VerificationFailed" | "SourceRewound", revision: string | undefined, message: string): Promise<void> {
    return this.#record({ type: "Warning", reason, message: buildMessage(message, []), revision });
  }

  async #record(e: RecordedEvent): Promise<void> {
    try {
      const key = `${e.type}\n${e.reason}\n${e.message}`;
      const known = (this.#opts.aggregate ?? true) ? this.#seen.get(key) : undefined;
      if (known && (await this.#bump(known))) return;
      const name = await this.#create(e);
      this.#seen.delete(key);
      this.#seen.set(key, { name, count: 1 });
      // Oldest first out: the map keeps insertion order.
      if (this.#seen.size > AGGREGATE_CACHE) this.#seen.delete(this.#seen.keys().next().value as string);
    } catch (err) {
      this.#opts.onError?.(err instanceof KubeApiError ? new Error(`recording event ${e.reason}: ${err.message}`) : (err as Error));
    }
  }

  /** count+1 on the existing Event; false when it is gone (events expire after an hour by default). */
  async #bump(agg: Aggregate): Promise<boolean> {
    const res = await this.#opts.client.request("PATCH", `${this.#path}/${encodeURIComponent(agg.name)}`, {
      body: { count: agg.count + 1, lastTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") },
      contentType: "application/merge-patch+json",
      allow: [404],
    });
    if (res.status === 404) return false;
    agg.count++;
    return true;
  }

  async #create(e: RecordedEvent): Promise<string> {
    const { parent, component = "sealsync", instance } = this.#opts;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    // Like client-go: parent name + a time stamp (strictly increasing here, so names sort in order) + entropy.
    this.#stamp = Math.max(this.#stamp + 1, Date.now());
    const name = `${parent.name}.${this.#stamp.toString(16)}${randomBytes(3).toString("hex")}`;
    await this.#opts.client.request("POST", this.#path, {
      body: {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace: parent.namespace, ...(e.revision ? { annotations: { [REVISION_ANNOTATION]: e.revision.slice(0, 100) } } : {}) },
        involvedObject: { apiVersion: "v1", kind: "Secret", name: parent.name, namespace: parent.namespace, ...(parent.uid ? { uid: parent.uid } : {}) },
        type: e.type,
        reason: e.reason,
        message: e.message,
        source: { component, ...(instance ? { host: instance } : {}) },
        reportingComponent: component,
        ...(instance ? { reportingInstance: instance } : {}),
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    return name;
  }
}
