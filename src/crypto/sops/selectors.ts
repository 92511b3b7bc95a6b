/**
 * Which leaves are encrypted: sops' six selectors (suffixes, key regexes, comment regexes), evaluated
 * against every key on the path, so a match on a parent key covers its whole subtree.
 */
import type { Selectors } from "./metadata.js";

export class SelectorError extends Error {
  override name = "SelectorError";
}

/** Compiles a Go RE2 pattern as a JS RegExp (leading `(?i)`-style flags become JS flags). */
export function compileGoRegex(src: string, field: string): RegExp {
  let flags = "";
  let body = src;
  const m = /^\(\?([imsU]+)\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    for (const f of m[1]!) if (f !== "U" && !flags.includes(f)) flags += f;
  }
  try {
    return new RegExp(body, `${flags}u`);
  } catch {
    try {
      return new RegExp(body, flags);
    } catch (err) {
      throw new SelectorError(`${field} ${JSON.stringify(src)} is not a valid regular expression: ${(err as Error).message}`);
    }
  }
}

export interface CompiledSelectors {
  shouldEncrypt(path: readonly string[], commentsStack: readonly string[][], isComment: boolean): boolean;
}

export function compileSelectors(s: Selectors): CompiledSelectors {
  const ur = s.unencryptedRegex !== undefined ? compileGoRegex(s.unencryptedRegex, "unencrypted_regex") : undefined;
  const er = s.encryptedRegex !== undefined ? compileGoRegex(s.encryptedRegex, "encrypted_regex") : undefined;
  const ucr = s.unencryptedCommentRegex !== undefined ? compileGoRegex(s.unencryptedCommentRegex, "unencrypted_comment_regex") : undefined;
  const ecr = s.encryptedCommentRegex !== undefined ? compileGoRegex(s.encryptedCommentRegex, "encrypted_comment_regex") : undefined;
  return {
    shouldEncrypt(path, stack, isComment) {
      let encrypted = true;
      if (s.unencryptedSuffix) {
        if (path.some((p) => p.endsWith(s.unencryptedSuffix!))) encrypted = false;
      }
      if (s.encryptedSuffix) encrypted = path.some((p) => p.endsWith(s.encryptedSuffix!));
      if (ur && path.some((p) => ur.test(p))) encrypted = false;
      if (er) encrypted = path.some((p) => er.test(p));
      if (ucr && stack.some((frame) => frame.some((c) => ucr.test(c)))) encrypted = false;
      if (ecr) {
        encrypted = false;
        const lastFrame = stack.length - 1;
        outer: for (let i = 0; i < stack.length; i++) {
          const frame = stack[i]!;
          for (let j = 0; j < frame.length; j++) {
            // The comment line that matches does not encrypt itself, only what follows it.
            if (isComment && i === lastFrame && j === frame.length - 1) continue;
            if (ecr.test(frame[j]!)) {
              encrypted = true;
              break outer;
            }
          }
        }
      }
      return encrypted;
    },
  };
}
