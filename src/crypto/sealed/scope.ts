/**
 * Sealing scopes: what a sealed item is bound to, through the RSA-OAEP label, and the annotations that
 * select it. The label is the only binding (there is no AAD), so this file is the whole of it.
 */

export type SealingScope = "strict" | "namespace-wide" | "cluster-wide";

export const SEALING_SCOPES: readonly SealingScope[] = ["strict", "namespace-wide", "cluster-wide"];

export const ANNOTATION_NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide";
export const ANNOTATION_CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide";

export function isSealingScope(value: unknown): value is SealingScope {
  return typeof value === "string" && (SEALING_SCOPES as readonly string[]).includes(value);
}

/** The scope the annotations select. Only the exact string "true" counts; cluster-wide wins over namespace-wide. */
export function scopeFromAnnotations(annotations: Readonly<Record<string, unknown>> | undefined): SealingScope {
  if (annotations?.[ANNOTATION_CLUSTER_WIDE] === "true") return "cluster-wide";
  if (annotations?.[ANNOTATION_NAMESPACE_WIDE] === "true") return "namespace-wide";
  return "strict";
}

/** A copy of `annotations` carrying exactly the annotation for `scope` (none for strict), or undefined if empty. */
export function withScopeAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  scope: SealingScope,
): Record<string, string> | undefined {
  const out: Record<string, string> = { ...annotations };
  delete out[ANNOTATION_NAMESPACE_WIDE];
  delete out[ANNOTATION_CLUSTER_WIDE];
  if (scope === "namespace-wide") out[ANNOTATION_NAMESPACE_WIDE] = "true";
  if (scope === "cluster-wide") out[ANNOTATION_CLUSTER_WIDE] = "true";
  return Object.keys(out).length ? out : undefined;
}

/** The OAEP label bytes: `namespace/name`, `namespace`, or empty. */
export function scopeLabel(scope: SealingScope, namespace: string, name: string): Buffer {
  switch (scope) {
    case "strict":
      return Buffer.from(`${namespace}/${name}`, "utf8");
    case "namespace-wide":
      return Buffer.from(namespace, "utf8");
    case "cluster-wide":
      return Buffer.alloc(0);
  }
}

/** What the scope binds, for messages: `strict scope (ns/name)`. */
export function describeScope(scope: SealingScope, namespace: string, name: string): string {
  switch (scope) {
    case "strict":
      return `strict scope (${namespace}/${name})`;
    case "namespace-wide":
      return `namespace-wide scope (namespace ${namespace})`;
    case "cluster-wide":
      return "cluster-wide scope";
  }
}
