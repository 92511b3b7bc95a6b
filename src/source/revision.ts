/**
 * A Revision is one commit's manifests, read into memory: immutable, keyed by its commit SHA. Sources
 * produce Revisions; the reconciler makes one true. The last good Revision stays in force until a newer
 * one is entirely valid.
 */
import type { KustomizeTree } from "./kustomize-reach.js";

export interface Signature {
  name: string;
  email: string;
  /** Unix seconds. */
  timestamp: number;
}

export interface Revision {
  /** Commit SHA (git) or content digest (directory source). */
  sha: string;
  /** What was asked for: a branch, tag, SHA, or "dir:<path>". */
  ref: string;
  author?: Signature;
  committer?: Signature;
  message?: string;
  /** Manifest files under the source path (path relative to it, POSIX separators) → bytes. Ciphertext as stored. */
  files: ReadonlyMap<string, Uint8Array>;
  /** Set when the source path holds a kustomization: the files it reaches (then `files` is empty). */
  kustomize?: KustomizeTree;
  /** Things skipped that a user should know about (symlinks, …). */
  warnings: string[];
  /** How its signature was checked (--verify), when it was: mode, signer fingerprint(s), commits checked. */
  verification?: { mode: string; signer: string; commits: number };
  /** Set when the commit does not descend from the last applied one (reported; refused with --refuse-rollback). */
  rewound?: { from: string; kind: "ancestor" | "diverged" };
}

export interface Source {
  /** A short description for logs: the URL (without credentials) or directory. */
  readonly description: string;
  fetch(signal?: AbortSignal): Promise<Revision>;
  /** Told once a revision is in force (the Git source remembers it to notice a rewind). */
  applied?(sha: string): void;
}

export class SourceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SourceError";
  }
}

/** First line of a commit message. */
export function subject(message: string | undefined): string {
  return (message ?? "").split("\n", 1)[0] ?? "";
}
