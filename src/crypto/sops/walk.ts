/**
 * The tree walk every SOPS operation shares: depth-first in document order, with the key path and the
 * stack of comments preceding each node (for the comment selectors). Nulls are skipped.
 */
import { Comment, TreeMap, type Scalar, type TreeList, type TreeValue } from "./tree.js";

/** A structural problem found while walking, at a key path. */
export class WalkError extends Error {
  override name = "WalkError";

  constructor(
    readonly path: string[],
    message: string,
  ) {
    super(message);
  }
}

export type LeafVisitor = (leaf: Exclude<Scalar, null> | Comment, path: string[], commentsStack: string[][]) => TreeValue | Comment;

/** Walks (and rewrites in place) one document. */
export function walkDocument(doc: TreeMap, visit: LeafVisitor): void {
  walkMap(doc, [], [], visit);
}

function walkMap(m: TreeMap, path: string[], stack: string[][], visit: LeafVisitor): void {
  const frame: string[] = [];
  const s = [...stack, frame];
  for (let i = 0; i < m.items.length; i++) {
    const it = m.items[i]!;
    if (it instanceof Comment) {
      frame.push(it.text);
      const out = visit(it, path, s);
      // A map comment stays a comment line, encrypted or not.
      m.items[i] = out instanceof Comment ? out : new Comment(typeof out === "string" ? out : String(out));
      continue;
    }
    const out = walkValue(it.value, [...path, it.key], s, visit);
    if (out instanceof Comment) throw new WalkError([...path, it.key], "a map value cannot be of type comment");
    it.value = out;
    frame.length = 0;
  }
}

function walkList(list: TreeList, path: string[], stack: string[][], visit: LeafVisitor): void {
  const frame: string[] = [];
  const s = [...stack, frame];
  for (let i = 0; i < list.length; i++) {
    const v = list[i]!;
    const isComment = v instanceof Comment;
    if (isComment) frame.push(v.text);
    // Comments stay comment lines, so sops 3.13.2 (which MACs list comment items, #2243) can read us.
    list[i] = isComment ? visit(v, path, s) : walkValue(v, path, s, visit);
    if (!isComment) frame.length = 0;
  }
}

function walkValue(v: TreeValue, path: string[], stack: string[][], visit: LeafVisitor): TreeValue | Comment {
  if (v === null) return null;
  if (v instanceof TreeMap) {
    walkMap(v, path, stack, visit);
    return v;
  }
  if (Array.isArray(v)) {
    walkList(v, path, stack, visit);
    return v;
  }
  return visit(v, path, stack);
}
