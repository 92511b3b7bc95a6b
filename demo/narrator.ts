/**
 * How the demo talks: numbered steps, indented facts, the commands it runs, a spinner while something
 * slow happens (only on a terminal), and a pause between steps when a person is watching.
 * Everything goes to stdout; nothing printed here ever holds a secret value.
 */
import { createInterface } from "node:readline";

export interface NarratorOptions {
  /** stdout is a terminal: colour and a spinner. */
  tty: boolean;
  /** Wait for Enter between steps (a person at a terminal, not --ci). */
  pause: boolean;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class Narrator {
  private spinnerTimer: NodeJS.Timeout | undefined;
  /** The step under way, for a failure message: "step 3/7 (Start the sidecar…)". */
  current = "the start";

  constructor(readonly opts: NarratorOptions) {}

  private style(code: string, text: string): string {
    return this.opts.tty ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private muted = false;

  private write(text: string): void {
    this.clearSpinner();
    if (!this.muted) process.stdout.write(`${text}\n`);
  }

  /** Stopping: whatever the walk-through still prints is dropped; only notices get through. */
  mute(): void {
    this.clearSpinner();
    this.muted = true;
  }

  title(text: string): void {
    this.write(this.style("1", text));
  }

  /** A numbered step: "[3/7] A new commit is picked up". */
  step(n: number, of: number, text: string): void {
    this.current = `step ${n}/${of} (${text})`;
    this.write(`\n${this.style("1", `[${n}/${of}] ${text}`)}`);
  }

  /** A line of its own, not part of a step (and the end of any spinner). */
  notice(text: string): void {
    this.clearSpinner();
    process.stdout.write(`${text}\n`);
  }

  say(text = ""): void {
    this.write(text ? `  ${text}` : "");
  }

  ok(text: string): void {
    this.write(`  ${this.style("32", "✓")} ${text}`);
  }

  /** A command the demo runs (or the user could), shown as typed. */
  command(text: string): void {
    this.write(`  ${this.style("2", `$ ${text}`)}`);
  }

  /** Lines of another program's output, indented and dimmed. */
  quote(lines: string[]): void {
    for (const line of lines) this.write(`    ${this.style("2", line)}`);
  }

  fail(text: string): void {
    process.stderr.write(`\n${this.style("31", "✗")} ${text}\n`);
  }

  /** Runs `work`, with a spinner and elapsed time on a terminal, or one plain line otherwise. */
  async spin<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    if (!this.opts.tty) {
      this.say(`${label}…`);
      return work();
    }
    let frame = 0;
    const draw = () => {
      const glyph = SPINNER[frame++ % SPINNER.length] ?? "-";
      process.stdout.write(`\r\x1b[2K  ${this.style("36", glyph)} ${label}… ${seconds(Date.now() - started)}`);
    };
    draw();
    this.spinnerTimer = setInterval(draw, 100);
    try {
      return await work();
    } finally {
      this.clearSpinner();
    }
  }

  private clearSpinner(): void {
    if (!this.spinnerTimer) return;
    clearInterval(this.spinnerTimer);
    this.spinnerTimer = undefined;
    process.stdout.write("\r\x1b[2K");
  }

  /**
   * Waits for Enter when a person is watching. The terminal stays in line mode (terminal: false), so
   * Ctrl-C still raises SIGINT and the demo's shutdown runs.
   */
  async pause(): Promise<void> {
    if (!this.opts.pause) return;
    process.stdout.write(this.style("2", "\n  Press Enter to continue (Ctrl-C stops the demo) "));
    const rl = createInterface({ input: process.stdin, terminal: false });
    await new Promise<void>((resolve) => rl.once("line", () => resolve()).once("close", () => resolve()));
    rl.close();
  }
}
