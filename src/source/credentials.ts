/**
 * Git credentials: a username plus a password/token from a file (re-read on every fetch, so a rotated
 * token works without a restart) or from SEALSYNC_GIT_PASSWORD. Never in URLs, never printed.
 */
import { readFileSync } from "node:fs";
import { REDACTED, redactAll } from "../util/redact.js";
import { SourceError } from "./revision.js";

export interface GitCredentialOptions {
  username?: string;
  passwordFile?: string;
}

export interface GitCredentials {
  username: string;
  password: string;
}

export function readGitCredentials(opts: GitCredentialOptions, env = process.env): GitCredentials | undefined {
  let password: string | undefined;
  if (opts.passwordFile) {
    try {
      password = readFileSync(opts.passwordFile, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new SourceError(`cannot read --git-password-file ${opts.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
  } else if (env.SEALSYNC_GIT_PASSWORD) {
    password = env.SEALSYNC_GIT_PASSWORD;
  }
  if (password === undefined && !opts.username) return undefined;
  return { username: opts.username ?? "git", password: password ?? "" };
}

/** Removes credentials from any text (error messages of the Git library may echo URLs or headers). */
export function redactCredentials(text: string, creds: GitCredentials | undefined): string {
  const out = text.replace(/(\w+:\/\/)[^/@\s]+@/g, `$1${REDACTED}@`);
  return creds?.password ? redactAll(out, [creds.password]) : out;
}
