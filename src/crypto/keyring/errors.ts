/** Why the keyring could not (re)load: names the directory, file or Secret, never key material. */
export class KeyringLoadError extends Error {
  override name = "KeyringLoadError";
  /** The directory, file or `secret ns/name` at fault. */
  readonly source: string;
  constructor(source: string, message: string, options?: ErrorOptions) {
    super(`key source ${source}: ${message}`, options);
    this.source = source;
  }
}
