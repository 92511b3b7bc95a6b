/**
 * Server-side apply of one object, sent verbatim (unknown and CRD fields survive), with sealsync's field
 * manager. Dry-run shows what an apply would produce, so unchanged objects are never written.
 */
import { KubeApiError, type KubeClient, type KubeObject } from "./client.js";
import { Discovery, type ResourceInfo } from "./discovery.js";

export const FIELD_MANAGER = "sealsync";

export interface ApplyOptions {
  dryRun?: boolean;
  /** Take ownership of fields another manager owns (default true, like Flux). */
  force?: boolean;
  fieldManager?: string;
  /**
   * The object holds decrypted values: the API server's message text (which may quote them, e.g.
   * `Invalid value: "…"`) never leaves this function; only the status, reason and field paths do.
   */
  withholdServerMessage?: boolean;
}

export class ApplyError extends Error {
  constructor(readonly subject: string, readonly status: number, message: string,
    readonly reason = "", readonly fields: string[] = []) {
    super(`${subject} apply failed: ${message}`);
    this.name = "ApplyError";
  }
}

/** The field paths an API error names (`details.causes[].field`), without the messages that go with them. */
export function causeFields(details: unknown): string[] {
  const causes = (details as { causes?: unknown } | undefined)?.causes;
  if (!Array.isArray(causes)) return [];
  const fields = causes.map((c) => (c as { field?: unknown }).field).filter((f): f is string => typeof f === "string" && f !== "");
  return [...new Set(fields)];
}

/** What may be said about a refused object that holds decrypted values: status, reason, field paths. */
export function withheldMessage(status: number, reason: string, fields: string[]): string {
  const where = fields.length ? ` at ${fields.join(", ")}` : "";
  return `the API server refused it (HTTP ${status} ${reason})${where}; its message is withheld because the object was decrypted ` +
    "(run `sealsync plan` on the decrypted file locally, or check the fields named here)";
}

export async function applyObject(client: KubeClient, info: ResourceInfo, obj: KubeObject,
  opts: ApplyOptions = {}): Promise<{ status: number; object: KubeObject }> {
  const path = Discovery.path(info, obj.metadata.namespace, obj.metadata.name);
  try {
    const res = await client.request<KubeObject>("PATCH", path, {
      body: obj,
      contentType: "application/apply-patch+yaml",
      query: {
        fieldManager: opts.fieldManager ?? FIELD_MANAGER,
        force: String(opts.force ?? true),
        fieldValidation: "Strict",
        dryRun: opts.dryRun ? "All" : undefined,
      },
    });
    return { status: res.status, object: res.body };
  } catch (err) {
    if (err instanceof KubeApiError) {
      const subject = `${obj.kind}/${obj.metadata.name}`;
      const fields = causeFields(err.details);
      if (opts.withholdServerMessage) throw new ApplyError(subject, err.status, withheldMessage(err.status, err.reason, fields), err.reason, fields);
      throw new ApplyError(subject, err.status, err.message.replace(/^PATCH \S+: /, ""), err.reason, fields);
    }
    throw err;
  }
}

/**
 * The parts of an object that an apply can change, for comparing a dry-run with the live object:
 * everything but resourceVersion, generation and the managedFields timestamps.
 */
export function comparable(obj: KubeObject): unknown {
  const { resourceVersion: _rv, generation: _g, managedFields, ...metadata } = obj.metadata;
  const fields = Array.isArray(managedFields)
    ? (managedFields as Record<string, unknown>[]).map(({ time: _t, ...rest }) => rest)
    : managedFields;
  return { ...obj, metadata: { ...metadata, managedFields: fields } };
}
