/**
 * The daemon's logger: pino, JSON lines written synchronously to stdout (or stderr, or a given stream),
 * no transports (they run in worker threads). Every field that could hold a secret is redacted by
 * name, at the top level and up to three levels down, so a Secret object, a request's headers or a
 * credentials struct logged by mistake shows "[REDACTED]" instead of its value.
 *
 *   createLogger({ level: "info" }) → pino.Logger
 *   parseLogLevel("debug")          → "debug" (throws LogLevelError for anything else)
 *   LOG_LEVELS, REDACTED, REDACT_PATHS
 *
 * Redaction is a safety net, not the rule: decrypted values are never passed to the logger at all.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { REDACTED } from "./util/redact.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type { Logger };

export { REDACTED };

/** Field names that may carry secret material, wherever they appear. */
const SECRET_FIELDS = [
  "data", "stringData", "binaryData", "password", "passwd", "token", "secret", "authorization", "cookie",
  "key", "privateKey", "private_key", "identity", "identities", "credentials", "plaintext", "value", "values",
  "x-gitlab-token", "x-hub-signature-256", "x-gitea-signature", "x-gogs-signature",
];

/** `field`, `*.field`, `*.*.field`, `*.*.*.field` for every secret field (pino wildcards match one level). */
export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => {
  // Names that are not plain identifiers need bracket notation.
  const tail = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
  const sep = tail.startsWith("[") ? "" : ".";
  return [tail, `*${sep}${tail}`, `*.*${sep}${tail}`, `*.*.*${sep}${tail}`];
});

export class LogLevelError extends Error {
  constructor(level: string) {
    super(`invalid log level ${JSON.stringify(level.slice(0, 20))}: use one of ${LOG_LEVELS.join(", ")}`);
    this.name = "LogLevelError";
  }
}

export function parseLogLevel(level: string): LogLevel {
  const l = level.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(l)) throw new LogLevelError(level);
  return l as LogLevel;
}

export interface LoggerOptions {
  /** Default "info". */
  level?: LogLevel | string;
  /** Where lines go: "stdout" (default, the daemon), "stderr" (CLI commands whose stdout is output), or a stream (tests). */
  destination?: "stdout" | "stderr" | DestinationStream;
  /** Fields on every line, e.g. { component: "reconciler" }. */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = opts.destination ?? "stdout";
  const stream = typeof dest === "string"
    // Synchronous writes: a crash or process.exit() loses no line, and no worker thread is involved.
    ? pino.destination({ fd: dest === "stderr" ? 2 : 1, sync: true })
    : dest;
  return pino({
    level: parseLogLevel(opts.level ?? "info"),
    base: { ...opts.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" reads better in kubectl logs than "level":30.
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  }, stream);
}
