/** Child processes of the test environment: started with logs to files, stopped for sure. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { openSync, readFileSync } from "node:fs";

const running = new Set<ChildProcess>();

// Whatever way the runner exits, no server outlives it.
process.once("exit", killAll);

/** SIGKILLs every server started here (for signal handlers of the process that owns them). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

export interface Daemon {
  name: string;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
}

export function startDaemon(name: string, command: string, args: string[], logFile: string,
  env: NodeJS.ProcessEnv = process.env): Daemon {
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd], env });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => running.delete(child));
  const tail = (lines = 20) => {
    try {
      return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  };
  return {
    name,
    child,
    logFile,
    tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; a race with another process is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Polls `check` until it returns true, or fails naming `what` with the daemon's log tail. */
export async function waitFor(what: string, check: () => Promise<boolean>, daemon: Daemon,
  timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null) {
      throw new Error(`${daemon.name} exited with code ${daemon.child.exitCode} before ${what}:\n${daemon.tail()}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${daemon.name} log:\n${daemon.tail()}`);
}
