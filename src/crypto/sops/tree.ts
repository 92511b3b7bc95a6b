/**
 * The SOPS document tree: ordered maps, lists, typed scalars and comment nodes, as every store
 * (YAML, JSON, dotenv, binary) loads and emits it. Encryption walks this tree; MAC order is its order.
 */

/** A comment line (text after `#`), kept as a node so it can be encrypted and written back. */
export class Comment {
  /** `inline`: written after a value on its line (`key: value # text`), as sops ≥ 3.13 keeps it. */
  constructor(
    readonly text: string,
    readonly inline = false,
  ) {}
}

/** A YAML timestamp, held as Go's `time.MarshalText` rendering (RFC 3339 with nanoseconds as needed). */
export class SopsTime {
  constructor(readonly text: string) {}
}

/**
 * A leaf value. `bigint` is SOPS type `int` (64-bit, no precision loss), `number` is `float`,
 * `Uint8Array` is raw bytes (binary store, legacy `bytes` type), `null` is never encrypted.
 */
export type Scalar = string | bigint | number | boolean | SopsTime | Uint8Array | null;

export interface TreeEntry {
  key: string;
  value: TreeValue;
}

/** An ordered map: entries and comment lines in file order. */
export class TreeMap {
  constructor(readonly items: Array<TreeEntry | Comment> = []) {}

  get(key: string): TreeValue | undefined {
    for (const it of this.items) if (!(it instanceof Comment) && it.key === key) return it.value;
    return undefined;
  }

  has(key: string): boolean {
    return this.items.some((it) => !(it instanceof Comment) && it.key === key);
  }

  entries(): TreeEntry[] {
    return this.items.filter((it): it is TreeEntry => !(it instanceof Comment));
  }
}

/** A list; comments inside a YAML sequence are list items. */
export type TreeList = Array<TreeValue | Comment>;

export type TreeValue = TreeMap | TreeList | Scalar;

export function isScalar(v: TreeValue | Comment): v is Scalar {
  return !(v instanceof TreeMap) && !Array.isArray(v) && !(v instanceof Comment);
}

/** Deep copy, so encryption never mutates the caller's tree. */
export function cloneValue<T extends TreeValue | Comment>(v: T): T {
  if (v instanceof TreeMap) {
    return new TreeMap(v.items.map((it) => (it instanceof Comment ? it : { key: it.key, value: cloneValue(it.value) }))) as T;
  }
  if (Array.isArray(v)) return v.map((x) => cloneValue(x)) as T;
  return v;
}
