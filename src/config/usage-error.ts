/** A mistake the user can fix (bad flags, a missing file): printed as its message, without a stack, exit 2. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}
