/** The built CLIs start from dist/ and answer --version / --help. */
import { describe, expect, it } from "@jest/globals";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./env/assets.js";
import { run } from "./env/run.js";

const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string };
const cli = (name: string) => path.join(repoRoot, "dist/cli", `${name}.js`);

describe.each(["sealsync", "seal"])("%s CLI", (name) => {
  it("prints the package version", () => {
    expect(run(process.execPath, [cli(name), "--version"])).toEqual({ exitCode: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("prints usage with --help", () => {
    const res = run(process.execPath, [cli(name), "--help"]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain(`Usage: ${name}`);
  });

  it("fails with a usage error on an unknown command or argument: exit 2, one line", () => {
    const res = run(process.execPath, [cli(name), "no-such-command"]);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/^error: (unknown command 'no-such-command'|too many arguments)[^\n]*\n$/);
  });
});

describe("one CLI contract: every flag and file is checked before any work", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-contract-"));
  const manifests = mkdtempSync(path.join(os.tmpdir(), "sealsync-contract-dir-"));
  const sealsync = (...args: string[]) => run(process.execPath, [cli("sealsync"), ...args], { env: { KUBECONFIG: path.join(dataDir, "none") } });
  const runWith = (...args: string[]) => sealsync("run", "--dir", manifests, "--data-dir", dataDir, "--no-leader-election", ...args);

  it.each([
    [["--interval", "5x"], "option '--interval <duration>' argument '5x' is invalid. expected a duration such as 500ms, 90s, 1h30m or 7d"],
    [["--interval", "10ms"], "option '--interval <duration>' argument '10ms' is invalid. expected a duration of at least 100ms"],
    [["--hard-resync-every", "abc"], "option '--hard-resync-every <n>' argument 'abc' is invalid. expected a whole number >= 1, e.g. 10"],
    [["--listen", "nope"], "option '--listen <[host:]port>' argument 'nope' is invalid. invalid listen address \"nope\": not of the form [HOST:]PORT; use [HOST:]PORT, e.g. :9090 or 127.0.0.1:9090"],
    [["--webhook-secret-file", "/no/such/secret"], "--webhook-secret-file /no/such/secret: no such file; it should hold the webhook's shared secret"],
    [["--log-level", "loud"], "option '--log-level <level>' argument 'loud' is invalid. Allowed choices are trace, debug, info, warn, error, fatal, silent."],
  ])("sealsync run %j: exit 2, one line naming the flag, nothing audited", (args, message) => {
    expect(runWith(...args)).toEqual({ exitCode: 2, stdout: "", stderr: `error: ${message}\n` });
    expect(existsSync(path.join(dataDir, "audit"))).toBe(false);
  });

  it("an empty webhook secret file is refused up front too", () => {
    const empty = path.join(manifests, "..", `empty-secret-${process.pid}`);
    writeFileSync(empty, "");
    expect(runWith("--webhook-secret-file", empty)).toEqual({ exitCode: 2, stdout: "", stderr: `error: --webhook-secret-file ${empty}: is empty; it should hold the webhook's shared secret\n` });
  });

  it("sealsync sync --max-prune x is a usage error, not a crash", () => {
    expect(sealsync("sync", "--dir", manifests, "--max-prune", "x")).toEqual({
      exitCode: 2, stdout: "", stderr: "error: option '--max-prune <n>' argument 'x' is invalid. expected a whole number >= 0, e.g. 10\n",
    });
  });

  it("the audit commands read the same duration grammar as run (1h30m, 7d)", () => {
    for (const since of ["1h30m", "7d", "500ms"]) {
      const res = sealsync("audit", "export", "--log", path.join(dataDir, "none.jsonl"), "--since", since);
      expect(res).toEqual({ exitCode: 2, stdout: "", stderr: `error: no audit log at ${path.join(dataDir, "none.jsonl")}: check the path given to --log\n` });
    }
  });

  it("seal: a usage error exits 2 with one line", () => {
    expect(run(process.execPath, [cli("seal"), "encrypt", "--no-such-flag", "x"])).toEqual({ exitCode: 2, stdout: "", stderr: "error: unknown option '--no-such-flag'\n" });
  });
});
