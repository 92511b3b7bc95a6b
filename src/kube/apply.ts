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
}

export class ApplyError extends Error {
  constructor(readonly subject: string, readonly status: number, message: string) {
    super(`${subject} apply failed: ${message}`);
    this.name = "ApplyError";
  }
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
      throw new ApplyError(`${obj.kind}/${obj.metadata.name}`, err.status, err.message.replace(/^PATCH \S+: /, ""));
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
