/**
 * The real `sealsync run` (the built CLI) as a child process, and what the demo watches of it: its JSON
 * log lines (kept in a file the user can read) and its audit log, the record of every action it took.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { SEALSYNC_CLI } from "./commands.js";

/** One audit log line; see src/audit/entry.ts for the vocabulary. */
export type AuditLine = { seq: number; ts: string; action: string } & Record<string, string | number | undefined>;

/** A step of the demo that waited too long: says what it waited for and where to look. */
export class DemoTimeoutError extends Error {
  override name = "DemoTimeoutError";
}

export interface SidecarOptions {
  args: string[];
  /** Where its stdout and stderr go (JSON lines; never secret values). */
  logFile: string;
  auditLog: string;
}

export class Sidecar {
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly auditLog: string;
  private readonly lines: Record<string, unknown>[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(opts: SidecarOptions) {
    this.logFile = opts.logFile;
    this.auditLog = opts.auditLog;
    this.child = spawn(process.execPath, [SEALSYNC_CLI, ...opts.args], { stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    const log = createWriteStream(opts.logFile, { flags: "a" });
    let partial = "";
    this.child.stdout?.on("data", (d: Buffer) => {
      log.write(d);
      const parts = (partial + d.toString()).split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as Record<string, unknown>);
        } catch {
          // Not a log line (a stray print); the file keeps it.
        }
      }
    });
    this.child.stderr?.on("data", (d: Buffer) => log.write(d));
    this.child.once("exit", () => log.end());
    // However the demo ends, the daemon does not outlive it.
    const kill = () => this.child.kill("SIGKILL");
    process.once("exit", kill);
    this.child.once("exit", () => process.off("exit", kill));
  }

  /** Starts it and waits for "sealsync started"; resolves with the URL of its HTTP server. */
  static async start(opts: SidecarOptions): Promise<{ sidecar: Sidecar; url: string }> {
    const sidecar = new Sidecar(opts);
    const started = await sidecar.waitFor("sealsync to start", () => sidecar.lines.find((l) => l.msg === "sealsync started"), 20_000);
    return { sidecar, url: String(started.listen) };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Every audit entry written so far, oldest first. */
  audit(): AuditLine[] {
    if (!existsSync(this.auditLog)) return [];
    return readFileSync(this.auditLog, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
  }

  /** The last lines of its log, for a failure message. */
  tail(n = 8): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-n).join("\n");
    } catch {
      return "";
    }
  }

  /** Polls `check` until it returns something, failing with the log tail if it does not in time or the daemon exits. */
  async waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found) return found;
      if (!this.running) {
        throw new Error(`sealsync exited (code ${this.child.exitCode ?? this.child.signalCode}) while the demo waited for ${what}; ` +
          `its log ends with:\n${this.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new DemoTimeoutError(`timed out after ${timeoutMs / 1000} s waiting for ${what}; sealsync's log ends with:\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, as the kubelet stops a pod; the daemon records daemon-stop and exits 0. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
