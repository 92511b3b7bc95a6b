/**
 * Opens the items of a read SealedSecret with a set of RSA keys, as the controller does (every key is tried
 * for every item; items may be sealed with different keys), and, when none opens an item, works out why:
 * moved or renamed after sealing, or a missing/wrong scope annotation. That diagnosis tries the other labels
 * on the RSA part only, to name the cause; its session keys are wiped unused.
 */
import { NoKeyCouldDecryptError, SealedItemTamperedError, SealedScopeMismatchError, type SealedWhere } from "./errors.js";
import { openPayload, openSessionKey, type SealedItemParts } from "./hybrid.js";
import type { RsaKey } from "./rsa-key.js";
import { ANNOTATION_CLUSTER_WIDE, ANNOTATION_NAMESPACE_WIDE, SEALING_SCOPES, describeScope, scopeLabel, type SealingScope } from "./scope.js";
import type { ParsedSealedSecret } from "./sealed-secret.js";

export interface OpenedItem {
  key: string;
  /** The plaintext. The caller owns it and should wipe it (`fill(0)`) once encoded. */
  value: Buffer;
  keyId: string;
}

/** Opens every item, or throws a typed error for the first one that cannot be opened. */
export function openItems(ss: ParsedSealedSecret, keys: readonly RsaKey[], where?: SealedWhere): OpenedItem[] {
  // Try the key that opened the previous item first: items of one object are almost always from one key.
  let order = [...keys];
  const opened: OpenedItem[] = [];
  try {
    for (const { key: item, parts } of ss.items) {
      const result = openItem(parts, order, ss.label);
      if (result.kind === "tampered") throw new SealedItemTamperedError(ss.display, item, result.keyId, where);
      if (result.kind === "no-key") throw diagnose(ss, item, parts, keys, where);
      opened.push({ key: item, value: result.value, keyId: result.key.id });
      order = [result.key, ...order.filter((k) => k !== result.key)];
    }
  } catch (err) {
    for (const o of opened) o.value.fill(0);
    throw err;
  }
  return opened;
}

type ItemResult = { kind: "opened"; value: Buffer; key: RsaKey } | { kind: "tampered"; keyId: string } | { kind: "no-key" };

function openItem(parts: SealedItemParts, keys: readonly RsaKey[], label: Buffer): ItemResult {
  for (const key of keys) {
    const sessionKey = openSessionKey(key.privateKey, key.modulusBytes, parts.rsaPart, label);
    if (!sessionKey) continue;
    const value = openPayload(sessionKey, parts.aesPart);
    sessionKey.fill(0);
    // OAEP authenticates the session key to this key and label, so a failing tag means the AES part was altered.
    return value ? { kind: "opened", value, key } : { kind: "tampered", keyId: key.id };
  }
  return { kind: "no-key" };
}

interface Candidate {
  label: Buffer;
  explain: string;
}

/** The labels the item may have been sealed under instead, each with what it would mean and what to do. */
function candidates(ss: ParsedSealedSecret): Candidate[] {
  const ns = ss.namespace ?? "";
  const here = describeScope(ss.scope, ns, ss.name);
  const out: Candidate[] = [];
  for (const scope of SEALING_SCOPES) {
    if (scope === ss.scope || (scope !== "cluster-wide" && !ss.namespace)) continue;
    out.push({
      label: scopeLabel(scope, ns, ss.name),
      explain: `it was sealed with ${describeScope(scope, ns, ss.name)}, but the SealedSecret's metadata.annotations select ${here}; ` +
        annotationFix(scope),
    });
  }
  const t = ss.template.metadata;
  const tns = typeof t?.namespace === "string" && t.namespace ? t.namespace : ns;
  const tname = typeof t?.name === "string" && t.name ? t.name : ss.name;
  for (const scope of ["strict", "namespace-wide"] as const) {
    if (scope === "strict" ? tns === ns && tname === ss.name : tns === ns) continue;
    out.push({
      label: scopeLabel(scope, tns, tname),
      explain: `it was sealed for ${describeScope(scope, tns, tname)} (spec.template.metadata still says so) and the SealedSecret ` +
        `was then moved or renamed to ${ns}/${ss.name}; sealed data is bound to its place: re-seal it for its new place, or move it back`,
    });
  }
  return out.filter((c, i) => !c.label.equals(ss.label) && out.findIndex((o) => o.label.equals(c.label)) === i);
}

function annotationFix(sealedWith: SealingScope): string {
  switch (sealedWith) {
    case "strict":
      return `remove the ${ANNOTATION_NAMESPACE_WIDE} / ${ANNOTATION_CLUSTER_WIDE} annotations from metadata.annotations`;
    case "namespace-wide":
      return `set ${ANNOTATION_NAMESPACE_WIDE}: "true" in metadata.annotations (the template's annotations do not count)`;
    case "cluster-wide":
      return `set ${ANNOTATION_CLUSTER_WIDE}: "true" in metadata.annotations (the template's annotations do not count)`;
  }
}

function diagnose(ss: ParsedSealedSecret, item: string, parts: SealedItemParts, keys: readonly RsaKey[], where?: SealedWhere): Error {
  for (const c of candidates(ss)) {
    for (const key of keys) {
      const sessionKey = openSessionKey(key.privateKey, key.modulusBytes, parts.rsaPart, c.label);
      if (!sessionKey) continue;
      sessionKey.fill(0); // Only the fact that it opens is used.
      return new SealedScopeMismatchError(ss.display, item, key.id, c.explain, where);
    }
  }
  return new NoKeyCouldDecryptError(ss.display, item, keys.map((k) => k.id), where);
}
