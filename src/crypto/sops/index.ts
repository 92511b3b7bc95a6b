/** SOPS (age) for sealsync: the public API. */
export { isSopsDocument, decryptSopsDocument, decryptSopsDocuments, treeToPlain } from "./document.js";
export {
  decryptSopsFile,
  encryptSopsFile,
  rotateSopsFile,
  updateSopsFileKeys,
  isEncryptedFile,
  encryptSopsTrees,
  defaultSelectors,
  type DecryptFileOptions,
  type DecryptedFile,
  type EncryptFileOptions,
  type RotateOptions,
  type UpdateKeysOptions,
  type UpdateKeysResult,
} from "./file.js";
export { formatForPath, parseFormatName, UnsupportedFormatError, loadPlain, loadEncrypted, SOPS_FORMATS, type SopsFormat } from "./format/index.js";
export { ageRecipients, SOPS_FORMAT_VERSION, type Selectors, type SopsMetadata } from "./metadata.js";
export {
  SopsError,
  SopsParseError,
  SopsMetadataError,
  SopsValueFormatError,
  SopsNoMatchingKeyError,
  SopsUnsupportedKeyError,
  SopsAuthenticationError,
  SopsMacMismatchError,
  SopsEncryptError,
  formatPath,
  type SopsLocation,
} from "./errors.js";
export { looksEncrypted } from "./cipher.js";
export { inspectEncryptedTrees, findingText, type Finding } from "./inspect.js";
export { TreeMap, Comment, type TreeValue } from "./tree.js";
