/**
 * Key-less inspection of an encrypted file for `seal check`: values that should be encrypted but are
 * not (added after encryption), garbled `ENC[` values, documents without metadata in an encrypted file.
 */
import { CipherFormatError, looksEncrypted, parseEncrypted } from "./cipher.js";
import { formatPath, type SopsLocation } from "./errors.js";
import type { SopsMetadata } from "./metadata.js";
import { compileSelectors } from "./selectors.js";
import { cloneValue, Comment, type TreeMap } from "./tree.js";
import { walkDocument } from "./walk.js";

export interface Finding {
  file: string;
  index?: number;
  path?: string[];
  message: string;
}

export function findingText(f: Finding): string {
  let s = f.file;
  if (f.index !== undefined) s += ` (document ${f.index + 1})`;
  if (f.path && f.path.length > 0) s += ` at key ${formatPath(f.path)}`;
  return `${s}: ${f.message}`;
}

export function inspectEncryptedTrees(docs: readonly TreeMap[], md: SopsMetadata, loc: SopsLocation): Finding[] {
  const selectors = compileSelectors(md.selectors);
  const findings: Finding[] = [];
  docs.forEach((d, i) => {
    const index = docs.length > 1 ? i : undefined;
    walkDocument(cloneValue(d), (leaf, path, stack) => {
      const isComment = leaf instanceof Comment;
      if (!selectors.shouldEncrypt(path, stack, isComment)) return leaf;
      const text = isComment ? leaf.text : leaf;
      if (typeof text !== "string") {
        findings.push({ file: loc.file, index, path, message: "value is not encrypted (added or edited after encryption?); re-encrypt the file" });
      } else if (looksEncrypted(text)) {
        try {
          parseEncrypted(text);
        } catch (err) {
          if (!(err instanceof CipherFormatError)) throw err;
          findings.push({ file: loc.file, index, path, message: `garbled encrypted value: ${err.message}` });
        }
      } else if (text !== "" && !isComment) {
        findings.push({ file: loc.file, index, path, message: "value is not encrypted (added or edited after encryption?); re-encrypt the file" });
      }
      return leaf;
    });
  });
  return findings;
}
