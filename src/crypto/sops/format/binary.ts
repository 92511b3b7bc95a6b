/** The binary store: the whole input is one `data` leaf (raw bytes), kept in a JSON envelope. */
import { TreeMap } from "../tree.js";

export function binaryToTree(bytes: Uint8Array): TreeMap {
  return new TreeMap([{ key: "data", value: bytes }]);
}

/** The raw bytes of a decrypted binary tree; undefined if it has no `data` leaf. */
export function treeToBinary(doc: TreeMap): Uint8Array | undefined {
  const v = doc.get("data");
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(v);
  return undefined;
}
