/** The logger: JSON lines, a level from --log-level, and redaction of anything that could hold a secret. */
import { describe, expect, it } from "@jest/globals";
import { createLogger, parseLogLevel } from "../../src/log.js";

function capture(level?: string) {
  const lines: string[] = [];
  const log = createLogger({ ...(level ? { level } : {}), destination: { write: (s: string) => void lines.push(s) } });
  return { log, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), raw: () => lines.join("") };
}

describe("logger", () => {
  it("writes one JSON object per line with a level name, an ISO time and the message", () => {
    const { log, raw, records } = capture();
    log.info({ revision: "3f2c9a1" }, "sync finished");
    expect(raw().endsWith("\n")).toBe(true);
    expect(records()).toEqual([{ level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), revision: "3f2c9a1", msg: "sync finished" }]);
  });

  it("honours the level", () => {
    const { log, records } = capture("warn");
    log.info("hidden");
    log.warn("shown");
    expect(records().map((r) => r.msg)).toEqual(["shown"]);
  });

  it("redacts secret-bearing fields at any of the first four levels", () => {
    const { log, raw } = capture();
    log.info({
      object: { kind: "Secret", metadata: { name: "db" }, data: { password: "aHVudGVyMg==" }, stringData: { token: "hunter2" } },
      headers: { authorization: "Bearer hunter2", "x-gitlab-token": "hunter2" },
      git: { credentials: { password: "hunter2" } },
      key: "AGE-SECRET-KEY-1HUNTER2",
    }, "oops");
    const text = raw();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("aHVudGVyMg");
    expect(text).not.toContain("AGE-SECRET-KEY");
    const rec = JSON.parse(text) as { object: Record<string, unknown>; headers: Record<string, unknown> };
    expect(rec.object).toEqual({ kind: "Secret", metadata: { name: "db" }, data: "[REDACTED]", stringData: "[REDACTED]" });
    expect(rec.headers).toEqual({ authorization: "[REDACTED]", "x-gitlab-token": "[REDACTED]" });
  });

  it("refuses an unknown --log-level with the allowed ones", () => {
    expect(parseLogLevel("DEBUG")).toBe("debug");
    expect(() => createLogger({ level: "verbose" })).toThrow('invalid log level "verbose": use one of trace, debug, info, warn, error, fatal, silent');
  });
});
