/**
 * sops' flattening of nested metadata into single-level keys for dotenv (and INI):
 * `__map_` marks a map level, `__list_<i>` a list index, e.g. `age__list_0__map_enc`.
 */
import { Comment, TreeMap, type TreeList, type TreeValue } from "./tree.js";

export function flatten(v: TreeMap): Array<[string, TreeValue]> {
  const out: Array<[string, TreeValue]> = [];
  const walk = (prefix: string, value: TreeValue): void => {
    if (value instanceof TreeMap) {
      for (const e of value.entries()) walk(prefix === "" ? e.key : `${prefix}__map_${e.key}`, e.value);
    } else if (Array.isArray(value)) {
      value.forEach((el, i) => {
        if (!(el instanceof Comment)) walk(`${prefix}__list_${i}`, el);
      });
    } else {
      out.push([prefix, value]);
    }
  };
  walk("", v);
  return out;
}

/** Rebuilds the nested map from flattened keys (values are kept as given). */
export function unflatten(entries: Array<[string, TreeValue]>): TreeMap {
  const root = new TreeMap();
  for (const [flatKey, value] of entries) {
    const tokens = flatKey.split(/(__map_|__list_\d+)/).filter((t) => t !== "");
    // tokens: key, then alternating markers and names
    let container: TreeMap | TreeList = root;
    let i = 0;
    let key: string | number = tokens[i++]!;
    while (i < tokens.length) {
      const marker = tokens[i++]!;
      let next: string | number;
      let child: TreeMap | TreeList;
      if (marker.startsWith("__list_")) {
        next = Number(marker.slice("__list_".length));
        child = [];
      } else {
        next = tokens[i++] ?? "";
        child = new TreeMap();
      }
      const existing: TreeValue | undefined = get(container, key);
      if (existing instanceof TreeMap || Array.isArray(existing)) child = existing;
      else set(container, key, child);
      container = child;
      key = next;
    }
    set(container, key, value);
  }
  return root;
}

function get(c: TreeMap | TreeList, key: string | number): TreeValue | undefined {
  if (c instanceof TreeMap) return c.get(String(key));
  const v = c[Number(key)];
  return v instanceof Comment ? undefined : v;
}

function set(c: TreeMap | TreeList, key: string | number, value: TreeValue): void {
  if (c instanceof TreeMap) {
    const e = c.entries().find((x) => x.key === String(key));
    if (e) e.value = value;
    else c.items.push({ key: String(key), value });
  } else {
    c[Number(key)] = value;
  }
}
