/** The built CLIs start from dist/ and answer --version / --help. */
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
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

  it("fails with a usage error on an unknown command or argument", () => {
    const res = run(process.execPath, [cli(name), "no-such-command"]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: (unknown command 'no-such-command'|too many arguments)/);
  });
});
