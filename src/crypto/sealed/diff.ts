/**
 * What changed between two versions of the SealedSecrets in a file, per object and per item. Every item is
 * sealed on its own with a fresh session key, so an item whose sealed text is the same did not change and
 * one whose sealed text differs was re-sealed (changed, or re-sealed unchanged: only a key can tell). With
 * RSA keys both sides are opened in memory and compared; values are never returned.
 */
import { isDeepStrictEqual } from "node:util";
import { openItems } from "./open.js";
import { isObject, type RsaKey } from "./rsa-key.js";
import { isSealedSecret, readSealedSecret } from "./sealed-secret.js";

export interface SealedObjectDiff {
  /** `namespace/name` */
  name: string;
  change: "added" | "removed" | "changed";
  itemsAdded: string[];
  itemsRemoved: string[];
  itemsChanged: string[];
  /** With a key: items whose sealed text changed but whose value did not. */
  itemsResealed: string[];
  itemsUnchanged: number;
  /** Scope, template or other fields outside spec.encryptedData changed. */
  otherFieldsChanged: boolean;
  decrypted: boolean;
}

function identity(doc: Record<string, unknown>): string {
  const md = isObject(doc.metadata) ? doc.metadata : {};
  return `${typeof md.namespace === "string" ? md.namespace : ""}/${typeof md.name === "string" ? md.name : "(unnamed)"}`;
}

function sealedItems(doc: Record<string, unknown>): Record<string, unknown> {
  const spec = isObject(doc.spec) ? doc.spec : {};
  return isObject(spec.encryptedData) ? spec.encryptedData : {};
}

function withoutItems(doc: Record<string, unknown>): unknown {
  const copy = structuredClone(doc);
  if (isObject(copy.spec)) delete copy.spec.encryptedData;
  return copy;
}

/** Every item opened, by item name: compared in memory, then wiped by the caller. */
function openedValues(doc: Record<string, unknown>, keys: readonly RsaKey[], defaultNamespace?: string): Map<string, Buffer> {
  const ss = readSealedSecret(doc, undefined, { allowTemplateData: true, defaultNamespace });
  return new Map(openItems(ss, keys).map((o) => [o.key, o.value]));
}

/** SealedSecrets of two versions of a file, matched by namespace/name. */
export function diffSealedSecrets(before: readonly unknown[], after: readonly unknown[], keys: readonly RsaKey[] = [], defaultNamespace?: string): SealedObjectDiff[] {
  const pick = (docs: readonly unknown[]) =>
    new Map(docs.filter((d): d is Record<string, unknown> => isSealedSecret(d)).map((d) => [identity(d), d]));
  const a = pick(before);
  const b = pick(after);
  const out: SealedObjectDiff[] = [];
  const empty = { itemsChanged: [], itemsResealed: [], itemsUnchanged: 0, otherFieldsChanged: false, decrypted: false };
  for (const [name, doc] of a) {
    if (!b.has(name)) out.push({ name, change: "removed", itemsAdded: [], itemsRemoved: Object.keys(sealedItems(doc)), ...empty });
  }
  for (const [name, doc] of b) {
    const old = a.get(name);
    if (!old) {
      out.push({ name, change: "added", itemsAdded: Object.keys(sealedItems(doc)), itemsRemoved: [], ...empty });
      continue;
    }
    const ia = sealedItems(old);
    const ib = sealedItems(doc);
    const decrypted = keys.length > 0;
    const va = decrypted ? openedValues(old, keys, defaultNamespace) : undefined;
    const vb = decrypted ? openedValues(doc, keys, defaultNamespace) : undefined;
    const d: SealedObjectDiff = {
      name,
      change: "changed",
      itemsAdded: Object.keys(ib).filter((k) => !(k in ia)),
      itemsRemoved: Object.keys(ia).filter((k) => !(k in ib)),
      itemsChanged: [],
      itemsResealed: [],
      itemsUnchanged: 0,
      otherFieldsChanged: !isDeepStrictEqual(withoutItems(old), withoutItems(doc)),
      decrypted,
    };
    for (const k of Object.keys(ib)) {
      if (!(k in ia)) continue;
      if (ia[k] === ib[k]) d.itemsUnchanged++;
      else if (va && vb && va.get(k)!.equals(vb.get(k)!)) d.itemsResealed.push(k);
      else d.itemsChanged.push(k);
    }
    for (const v of [...(va?.values() ?? []), ...(vb?.values() ?? [])]) v.fill(0);
    if (d.itemsAdded.length || d.itemsRemoved.length || d.itemsChanged.length || d.itemsResealed.length || d.otherFieldsChanged) out.push(d);
  }
  return out;
}
