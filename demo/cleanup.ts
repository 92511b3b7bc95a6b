/** What the demo started, stopped in reverse order exactly once, whether it ends well, fails or is interrupted. */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<unknown> | void }[] = [];
  private done: Promise<void> | undefined;

  add(what: string, run: () => Promise<unknown> | void): void {
    this.steps.push({ what, run });
  }

  /** Runs every step even if one fails (a failure is reported on stderr, never thrown); later calls wait for the first. */
  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (err) {
          process.stderr.write(`cleanup: could not ${step.what}: ${(err as Error).message}\n`);
        }
      }
    })();
    return this.done;
  }
}
