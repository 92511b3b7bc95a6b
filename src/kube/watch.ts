/**
 * A self-restarting watch of one resource collection (one kind, our namespace, a label selector): the
 * events of an informer without its cache of whole objects, and without its failure modes — it restarts
 * itself on errors, on a clean end of the stream, on 410 Gone (by listing again), and when the stream has
 * been silent longer than stallTimeoutMs (the API server sends a BOOKMARK about once a minute, so silence
 * means a dead connection that TCP has not noticed).
 *
 *   const w = watchCollection({ client, path: Discovery.path(info, ns), labelSelector: `${LABEL_PART_OF}=${id}` });
 *   await w.ready;                        // the initial list is done; nothing after it can be missed
 *   for await (const ev of w) { ev.type; ev.object }   // "ADDED" | "MODIFIED" | "DELETED"
 *   w.close();
 *
 * No event is lost across restarts: a watch resumes from the last resourceVersion seen (events and
 * bookmarks), and when the server no longer has it (410), a fresh list is compared with what the watch
 * knew, yielding ADDED / MODIFIED / DELETED for the difference. Such a synthesised DELETED carries only
 * the object's identity (apiVersion, kind, metadata name/namespace/uid/resourceVersion/labels): only that
 * is kept per object, so the watch holds no Secret data. Events are queued until consumed (one consumer).
 */
import type { IncomingMessage } from "node:http";
import { Backoff } from "../util/backoff.js";
import { sleep } from "../util/sleep.js";
import { KubeApiError, type KubeClient, type KubeObject } from "./client.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  client: KubeClient;
  /** The collection, e.g. Discovery.path(info, namespace) → "/apis/apps/v1/namespaces/shop/deployments". */
  path: string;
  labelSelector?: string;
  /** ADDED for every object that exists when the watch starts (default true, as an informer does). */
  initialEvents?: boolean;
  /** Start from this resourceVersion without listing: only later changes are reported. */
  resourceVersion?: string;
  /** Restart a stream that has been silent this long (default 150 s: bookmarks come about every 60 s). */
  stallTimeoutMs?: number;
  /** First retry delay after an error, doubled up to maxBackoffMs (defaults 500 ms and 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A list or watch failed (it will be retried), or a stream was restarted. For logs. */
  onError?: (err: Error) => void;
}

/** How often the watch had to recover (for logs, metrics and tests). */
export interface WatchStats {
  /** Watch requests opened. */
  connects: number;
  /** Lists after the first (410 Gone, or a resourceVersion the server refused). */
  relists: number;
  /** Streams abandoned by the watchdog. */
  stalls: number;
  /** Lists or watches that failed with an error. */
  errors: number;
}

/** A list or watch request failed below HTTP (refused, reset, unreadable); the watch retries. */
export class WatchConnectionError extends Error {
  constructor(what: string, cause: unknown) {
    const why = cause && typeof cause === "object" && "message" in cause ? String((cause as Error).message) : String(cause);
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(`${what}: ${why}${code && !why.includes(code) ? ` (${code})` : ""}`, { cause });
    this.name = "WatchConnectionError";
  }
}

export class WatchStalledError extends Error {
  constructor(path: string, ms: number) {
    super(`watch of ${path} was silent for ${ms} ms (no event or bookmark); restarting it`);
    this.name = "WatchStalledError";
  }
}

export const DEFAULT_STALL_TIMEOUT_MS = 150_000;
/** Servers end each watch after a random 5 to 10 minutes, as client-go asks, so long streams are renewed. */
const SERVER_TIMEOUT_S = () => String(300 + Math.floor(Math.random() * 300));
const PAGE_SIZE = "500";

interface Known {
  uid?: string;
  resourceVersion?: string;
  /** Identity only: what a synthesised DELETED event carries. */
  stub: KubeObject;
}

interface ObjectList {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

type WatchLine = { type: string; object: KubeObject & { code?: number; reason?: string; message?: string } };

/** The end of one watch stream. */
type Outcome = "ended" | "expired" | "stalled" | "closed";

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

function stubOf(o: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, labels } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace, uid, resourceVersion, labels } };
}

export class Watch<T extends KubeObject = KubeObject> implements AsyncIterable<WatchEvent<T>> {
  /** Resolves once the first list is done (or at once when started from a resourceVersion). */
  readonly ready: Promise<void>;
  readonly stats: WatchStats = { connects: 0, relists: 0, stalls: 0, errors: 0 };
  readonly #opts: WatchOptions;
  readonly #known = new Map<string, Known>();
  readonly #queue: WatchEvent<T>[] = [];
  #wake: (() => void) | undefined;
  #rv: string | undefined;
  readonly #closing = new AbortController();
  #markReady!: () => void;

  constructor(opts: WatchOptions) {
    this.#opts = opts;
    this.#rv = opts.resourceVersion;
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
    void this.#run();
  }

  /** The last resourceVersion seen (from a list, an event or a bookmark). */
  get resourceVersion(): string | undefined {
    return this.#rv;
  }

  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Ends the stream; a pending iteration finishes. */
  close(): void {
    this.#closing.abort();
    this.#wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    return {
      next: async () => {
        while (this.#queue.length === 0 && !this.closed) await new Promise<void>((r) => (this.#wake = r));
        const value = this.#queue.shift();
        return value ? { value, done: false } : { value: undefined, done: true };
      },
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  #emit(type: WatchEventType, object: KubeObject): void {
    this.#queue.push({ type, object: object as T });
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<void> {
    const { initialBackoffMs = 500, maxBackoffMs = 30_000 } = this.#opts;
    let mustList = this.#rv === undefined;
    // Started from a resourceVersion: any later list is a relist whose differences must be reported.
    let first = mustList;
    const backoff = new Backoff({ initialMs: initialBackoffMs, maxMs: maxBackoffMs });
    // A server that answers 410 right after a fresh list would otherwise make us list in a busy loop.
    let expiries = 0;
    const expired = async () => {
      mustList = true;
      if (++expiries > 1) await this.#sleep(backoff.next());
    };
    if (!mustList) this.#markReady();
    while (!this.closed) {
      try {
        if (mustList) {
          await this.#list(first ? (this.#opts.initialEvents ?? true) : true);
          if (!first) this.stats.relists++;
          first = false;
          mustList = false;
          this.#markReady();
        }
        const started = Date.now();
        const { outcome, lines } = await this.#watchOnce();
        if (outcome === "expired") {
          await expired();
          continue;
        }
        expiries = 0;
        if (outcome === "stalled") {
          this.stats.stalls++;
          this.#opts.onError?.(new WatchStalledError(this.#opts.path, this.#stallMs));
        }
        // A stream that ends at once with nothing in it must not become a busy loop.
        if (outcome === "ended" && lines === 0 && Date.now() - started < 1000) await this.#sleep(backoff.next());
        else backoff.reset();
      } catch (err) {
        if (this.closed) break;
        if (err instanceof KubeApiError && err.status === 410) {
          await expired();
          continue;
        }
        this.stats.errors++;
        this.#opts.onError?.(err as Error);
        await this.#sleep(backoff.next());
      }
    }
    this.#wake?.();
  }

  get #stallMs(): number {
    return this.#opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  /** Lists every page, then reports the difference with what we knew (all of it, the first time). */
  async #list(emit: boolean): Promise<void> {
    const items: KubeObject[] = [];
    let rv: string | undefined;
    let cont: string | undefined;
    do {
      const res = await this.#opts.client.request<ObjectList>("GET", this.#opts.path, {
        query: { labelSelector: this.#opts.labelSelector, limit: PAGE_SIZE, continue: cont },
        signal: this.#closing.signal,
      }).catch((err: unknown) => {
        throw err instanceof KubeApiError ? err : new WatchConnectionError(`listing ${this.#opts.path}`, err);
      });
      const list = res.body;
      rv ??= list.metadata.resourceVersion;
      // List items come without apiVersion/kind; events and stubs need them.
      const kind = list.kind?.replace(/List$/, "") ?? "";
      for (const item of list.items) items.push({ ...item, apiVersion: item.apiVersion ?? list.apiVersion ?? "", kind: item.kind ?? kind });
      cont = list.metadata.continue || undefined;
    } while (cont);

    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const before = this.#known.get(key);
      this.#remember(item);
      if (!emit) continue;
      if (!before) this.#emit("ADDED", item);
      else if (before.uid !== item.metadata.uid) {
        // Deleted and created again while we were not watching.
        this.#emit("DELETED", before.stub);
        this.#emit("ADDED", item);
      } else if (before.resourceVersion !== item.metadata.resourceVersion) this.#emit("MODIFIED", item);
    }
    for (const [key, known] of this.#known) {
      if (seen.has(key)) continue;
      this.#known.delete(key);
      if (emit) this.#emit("DELETED", known.stub);
    }
    this.#rv = rv;
  }

  #remember(o: KubeObject): void {
    this.#known.set(keyOf(o), { uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, stub: stubOf(o) });
  }

  /** One watch request, read until it ends, expires, stalls or we close. */
  async #watchOnce(): Promise<{ outcome: Outcome; lines: number }> {
    const abort = new AbortController();
    let response: IncomingMessage | undefined;
    // Destroy the response, not the request, once there is one: aborting a request whose response has
    // already completed destroys a kept-alive socket that is back in the pool, with nobody listening.
    const teardown = () => {
      if (!response) abort.abort();
      else if (!response.complete) response.destroy();
    };
    this.#closing.signal.addEventListener("abort", teardown, { once: true });
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    // The watchdog also covers connecting: a request to a dead server can hang as long as a stream.
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        teardown();
      }, this.#stallMs);
    };
    arm();
    let lines = 0;
    try {
      this.stats.connects++;
      const query: Record<string, string> = {
        watch: "true", allowWatchBookmarks: "true", resourceVersion: this.#rv ?? "", timeoutSeconds: SERVER_TIMEOUT_S(),
      };
      if (this.#opts.labelSelector) query.labelSelector = this.#opts.labelSelector;
      const res = await this.#opts.client.stream(this.#opts.path, query, abort.signal);
      response = res;
      if (this.closed || stalled) teardown();
      const outcome = await new Promise<Outcome>((resolve, reject) => {
        let buffer = "";
        let settled = false;
        // Two functions rather than an instanceof test: errors from node internals may come from another realm.
        const finish = (o: Outcome) => {
          if (!settled) resolve(o);
          settled = true;
        };
        const fail = (err: unknown) => {
          if (!settled) reject(err);
          settled = true;
        };
        const interrupted = () => (this.closed ? "closed" : stalled ? "stalled" : undefined);
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          arm();
          buffer += chunk;
          let nl: number;
          while (!settled && (nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            lines++;
            let parsed: WatchLine;
            try {
              parsed = JSON.parse(line) as WatchLine;
            } catch {
              fail(new Error(`watch of ${this.#opts.path}: unreadable event (${line.slice(0, 80)})`));
              break;
            }
            const result = this.#handle(parsed);
            if (result?.error) fail(result.error);
            else if (result) finish(result.outcome);
          }
          if (settled) teardown();
        });
        const lost = (cause: unknown = "closed before the stream ended") => new WatchConnectionError(`watch of ${this.#opts.path}: connection lost`, cause);
        const end = (err?: unknown) => {
          const i = interrupted();
          if (i) finish(i);
          else if (err !== undefined) fail(lost(err));
          else if (res.complete) finish("ended");
          else fail(lost());
        };
        res.on("end", () => end());
        // A teardown (ours, the watchdog's) or a reset connection.
        res.on("close", () => end());
        res.on("error", (err) => end(err));
      });
      return { outcome, lines };
    } catch (err) {
      if (this.closed) return { outcome: "closed", lines };
      if (stalled) return { outcome: "stalled", lines };
      if (err instanceof KubeApiError || err instanceof WatchConnectionError) throw err;
      throw new WatchConnectionError(`watch of ${this.#opts.path}`, err);
    } finally {
      clearTimeout(timer);
      this.#closing.signal.removeEventListener("abort", teardown);
      teardown();
    }
  }

  /** Applies one line; returns how the stream ends when it must. */
  #handle(line: WatchLine): { outcome: Outcome; error?: undefined } | { error: Error } | undefined {
    const o = line.object;
    switch (line.type) {
      case "BOOKMARK":
        this.#rv = o.metadata.resourceVersion ?? this.#rv;
        return undefined;
      case "ADDED":
      case "MODIFIED":
        this.#remember(o);
        this.#rv = o.metadata.resourceVersion ?? this.#rv;
        this.#emit(line.type, o);
        return undefined;
      case "DELETED":
        this.#known.delete(keyOf(o));
        this.#rv = o.metadata.resourceVersion ?? this.#rv;
        this.#emit("DELETED", o);
        return undefined;
      case "ERROR":
        // 410: our resourceVersion is older than the server keeps; only a new list can resume.
        if (o.code === 410) return { outcome: "expired" };
        return { error: new KubeApiError(o.code ?? 500, o.reason ?? "WatchError", `watch of ${this.#opts.path}: ${o.message ?? "error event"}`) };
      default:
        return { error: new Error(`watch of ${this.#opts.path}: unknown event type ${JSON.stringify(String(line.type).slice(0, 20))}`) };
    }
  }

  #sleep(ms: number): Promise<void> {
    return sleep(ms, this.#closing.signal);
  }
}

export function watchCollection<T extends KubeObject = KubeObject>(opts: WatchOptions): Watch<T> {
  return new Watch<T>(opts);
}
