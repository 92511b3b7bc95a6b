/**
 * Base64 exactly as Go's `base64.StdEncoding` reads it for sealed items: the standard alphabet with `=`
 * padding, where `\r` and `\n` are ignored. Node's `Buffer.from(s, "base64")` silently accepts URL-safe and
 * unpadded input and skips junk, so it cannot be the validator on its own.
 */

const STD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict standard base64, or returns a short reason (never echoing the input) why it is not. */
export function decodeStdBase64(text: string): { bytes: Buffer } | { problem: string } {
  const s = text.replace(/[\r\n]/g, ""); // Go's decoder skips line breaks.
  if (STD_PADDED.test(s)) return { bytes: Buffer.from(s, "base64") };
  if (/[-_]/.test(s) && /^[A-Za-z0-9\-_+/]*=*$/.test(s)) return { problem: "it is URL-safe base64 ('-' or '_')" };
  if (/^[A-Za-z0-9+/]*$/.test(s)) return { problem: "it lacks base64 '=' padding" };
  return { problem: "it is not base64 (unexpected character or misplaced padding)" };
}

export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
