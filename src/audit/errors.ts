/** Typed audit errors. Messages name the file, line or field and what to do; never a field's value or key bytes. */

export class AuditError extends Error {
  override name = "AuditError";
}

/** A caller passed an event that does not fit the schema (a programming error in the caller). */
export class AuditSchemaError extends AuditError {
  override name = "AuditSchemaError";
}

/** `append` after `close`, or a second writer on the same file in this process. */
export class AuditStateError extends AuditError {
  override name = "AuditStateError";
}

/** The log could not be written (disk full, permissions…); the entry was not recorded. */
export class AuditWriteError extends AuditError {
  override name = "AuditWriteError";
}

/** The existing log cannot be continued safely (its last complete line is not an entry). */
export class AuditCorruptError extends AuditError {
  override name = "AuditCorruptError";
}

/** The HMAC key file is missing, unreadable or too short. */
export class AuditKeyError extends AuditError {
  override name = "AuditKeyError";
}

/** A bad export/query argument: time, format, action or kind filter. */
export class AuditQueryError extends AuditError {
  override name = "AuditQueryError";
}
