/**
 * The keyring: the cluster-held private keys the daemon decrypts with — age identities for SOPS and RSA
 * keys for SealedSecrets — from key directories (mounted Secrets) and, optionally, labelled Secrets read
 * through the API. It reloads when a directory changes (the kubelet's `..data` swap) and on a resync timer.
 *
 * Contract: all keys decrypt; the newest RSA key (certificate NotBefore) is the one to seal with; every key
 * is named by a public id only; an entry that is not a usable key (a junk file, a bad key Secret) is
 * skipped and reported — opening fails only when no key at all loads; on a reload, a key whose source
 * turned bad stays in force (and the reload says why), so a broken update never drops keys the running
 * revision needs, while good new keys still load.
 */
import { EventEmitter } from "node:events";
import { watch, type FSWatcher } from "chokidar";
import type { AgeIdentity } from "./age.js";
import { keysFromDirectory } from "./keyring/dir-source.js";
import { KeyringLoadError } from "./keyring/errors.js";
import type { AgeKey, KeyringKey } from "./keyring/entries.js";
import { keysFromSecrets, type KubeKeySource } from "./keyring/kube-source.js";
import { newestFirst, type RsaKey } from "./sealed/rsa-key.js";

export { KeyringLoadError };
export type { AgeKey, KeyringKey } from "./keyring/entries.js";
export type { KubeKeySource } from "./keyring/kube-source.js";

/** A key as audits and logs may name it. */
export interface KeyInfo {
  id: string;
  kind: "rsa" | "age";
  source: string;
}

/** What a reload changed (keys are matched by id, so a moved file is not a change). */
export interface KeyringChange {
  added: KeyInfo[];
  removed: KeyInfo[];
  /** All keys after the reload. */
  keys: KeyInfo[];
}

export interface KeyringOptions {
  /** Key directories, read in order (typically one mounted Secret). */
  dirs?: string[];
  /** Labelled key Secrets in a namespace (the sidecar's own). */
  kube?: KubeKeySource;
  /** Watch the directories and reload on change (default true). */
  watch?: boolean;
  /** Re-read every source this often, catching missed events and Secret changes; 0 disables (default 60 s). */
  resyncIntervalMs?: number;
  /** Quiet time after a directory event before reloading, so one swap gives one reload (default 200 ms). */
  debounceMs?: number;
}

type KeyringEvents = {
  /** The key set changed. */
  reload: [KeyringChange];
  /** A background reload failed; the previous keys stay in force. */
  reloadError: [Error];
};

export class Keyring extends EventEmitter<KeyringEvents> {
  #keys: KeyringKey[];
  #rsa: RsaKey[];
  #problems: KeyringLoadError[] = [];
  readonly #options: KeyringOptions;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(keys: KeyringKey[], options: KeyringOptions) {
    super();
    this.#options = options;
    this.#keys = keys;
    this.#rsa = newestFirst(keys.filter((k): k is RsaKey => k.kind === "rsa"));
  }

  /** A fixed keyring (CLI, tests): no sources, no reloads. */
  static fromKeys(keys: readonly KeyringKey[]): Keyring {
    return new Keyring(dedupe(keys), {});
  }

  /**
   * Loads every source once, skipping (and reporting in problems()) entries that are not usable keys;
   * throws KeyringLoadError only when nothing loads and something was wrong. Then watches the sources.
   */
  static async open(options: KeyringOptions): Promise<Keyring> {
    const loaded = await loadAll(options);
    if (loaded.keys.length === 0 && loaded.problems.length > 0) throw summarize(loaded.problems);
    const ring = new Keyring(loaded.keys, options);
    ring.#problems = loaded.problems;
    await ring.#startWatching();
    return ring;
  }

  /** What the last load skipped, and why (each names its file or Secret, never key material). */
  problems(): readonly KeyringLoadError[] {
    return this.#problems;
  }

  /** RSA keys, newest first: pass them to unsealSealedSecret. */
  rsaKeys(): readonly RsaKey[] {
    return this.#rsa;
  }

  ageIdentities(): readonly AgeIdentity[] {
    return this.#keys.filter((k): k is AgeKey => k.kind === "age").map((k) => k.identity);
  }

  /** The RSA key to seal with (and whose certificate to publish): the newest one. */
  sealingKey(): RsaKey | undefined {
    return this.#rsa[0];
  }

  keys(): KeyInfo[] {
    return this.#keys.map(info);
  }

  /**
   * Re-reads every source now. Keys whose source turned bad stay in force, new good keys load, and the
   * problems are thrown after the change is made (and its "reload" emitted).
   */
  reload(): Promise<KeyringChange> {
    const next = this.#queue.catch(() => undefined).then(() => this.#reloadOnce());
    this.#queue = next;
    return next;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
    await this.#watcher?.close();
    await this.#queue.catch(() => undefined);
  }

  async #reloadOnce(): Promise<KeyringChange> {
    const before = this.#keys;
    const loaded = await loadAll(this.#options);
    if (loaded.keys.length === 0 && loaded.problems.length > 0) throw summarize(loaded.problems);
    const kept = before.filter((k) => loaded.problems.some((p) => covers(p.source, k.source)));
    const after = dedupe([...loaded.keys, ...kept]);
    this.#keys = after;
    this.#problems = loaded.problems;
    this.#rsa = newestFirst(after.filter((k): k is RsaKey => k.kind === "rsa"));
    const beforeIds = new Set(before.map((k) => k.id));
    const afterIds = new Set(after.map((k) => k.id));
    const change: KeyringChange = {
      added: after.filter((k) => !beforeIds.has(k.id)).map(info),
      removed: before.filter((k) => !afterIds.has(k.id)).map(info),
      keys: after.map(info),
    };
    if ((change.added.length || change.removed.length) && !this.#closed) this.emit("reload", change);
    if (loaded.problems.length > 0) throw summarize(loaded.problems);
    return change;
  }

  #backgroundReload(): void {
    if (this.#closed) return;
    this.reload().catch((err: unknown) => {
      if (!this.#closed) this.emit("reloadError", err instanceof Error ? err : new Error(String(err)));
    });
  }

  async #startWatching(): Promise<void> {
    const dirs = this.#options.dirs ?? [];
    if (this.#options.watch !== false && dirs.length) {
      const debounceMs = this.#options.debounceMs ?? 200;
      // Any event counts, the kubelet's `..data` swap included; the whole set is re-read, so which file changed does not matter.
      this.#watcher = watch(dirs, { ignoreInitial: true, depth: 0 });
      this.#watcher.on("all", () => {
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => this.#backgroundReload(), debounceMs);
      });
      this.#watcher.on("error", (err) => {
        if (!this.#closed) this.emit("reloadError", err instanceof Error ? err : new Error(String(err)));
      });
      // Changes made before the initial scan completes go unreported, so open() returns only once it has.
      const watcher = this.#watcher;
      await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    }
    const every = this.#options.resyncIntervalMs ?? 60_000;
    if (every > 0 && (dirs.length || this.#options.kube)) {
      this.#timer = setInterval(() => this.#backgroundReload(), every);
      this.#timer.unref(); // The keyring alone must not keep a process alive.
    }
  }
}

async function loadAll(options: KeyringOptions): Promise<{ keys: KeyringKey[]; problems: KeyringLoadError[] }> {
  const keys: KeyringKey[] = [];
  const problems: KeyringLoadError[] = [];
  const from = async (load: () => Promise<KeyringKey[]>) => {
    try {
      keys.push(...(await load()));
    } catch (err) {
      if (!(err instanceof KeyringLoadError)) throw err;
      problems.push(err); // A whole source (directory, Secret list) unreadable: the others may still load.
    }
  };
  for (const dir of options.dirs ?? []) await from(() => keysFromDirectory(dir, problems));
  const kube = options.kube;
  if (kube) await from(() => keysFromSecrets(kube, problems));
  return { keys: dedupe(keys), problems };
}

/** One error for several problems (the single one as is, so its message stays exact). */
function summarize(problems: KeyringLoadError[]): KeyringLoadError {
  if (problems.length === 1) return problems[0] as KeyringLoadError;
  const err = new KeyringLoadError(problems.map((p) => p.source).join(", "), "");
  err.message = `${problems.length} key sources failed: ${problems.map((p) => p.message).join("; ")}`;
  return err;
}

/** Whether a problem with `problemSource` concerns a key read from `keySource` (same file or Secret, or inside it). */
function covers(problemSource: string, keySource: string): boolean {
  if (keySource === problemSource || keySource.startsWith(`${problemSource}/`)) return true;
  const ns = /^namespace (.+)$/.exec(problemSource)?.[1];
  return ns !== undefined && keySource.startsWith(`secret ${ns}/`);
}

/** One entry per id: the first wins, unless a later copy of an RSA key brings the certificate the first lacked. */
function dedupe(keys: readonly KeyringKey[]): KeyringKey[] {
  const byId = new Map<string, KeyringKey>();
  for (const k of keys) {
    const seen = byId.get(k.id);
    if (!seen || (seen.kind === "rsa" && k.kind === "rsa" && !seen.certPem && k.certPem)) byId.set(k.id, k);
  }
  return [...byId.values()];
}

function info(k: KeyringKey): KeyInfo {
  return { id: k.id, kind: k.kind, source: k.source };
}
