/** The native age armor decoder on the hot path agrees with the real `age -a` and with typage, and is as strict. */
import { describe, expect, it } from "@jest/globals";
import { armor } from "age-encryption";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeAgeArmor } from "../../src/crypto/age.js";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";

describe("decodeAgeArmor", () => {
  const assets = testAssets();
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-armor-"));
  run(assets.ageKeygen, ["-o", path.join(dir, "k")]);
  const recipient = run(assets.ageKeygen, ["-y", path.join(dir, "k")]).stdout.trim();
  const armored = run(assets.age, ["-a", "-r", recipient], { input: "x".repeat(300) }).stdout;

  it("decodes what the real age -a writes, byte for byte as typage does", () => {
    expect(Buffer.from(decodeAgeArmor(armored))).toEqual(Buffer.from(armor.decode(armored)));
  });

  it.each([
    ["a missing footer", (a: string) => a.replace("-----END AGE ENCRYPTED FILE-----", "")],
    ["a wrong header", (a: string) => a.replace("BEGIN AGE", "BEGIN PGP")],
    ["a long line", (a: string) => a.replace(/\n([A-Za-z0-9+/]{64})\n/, "\n$1A\n")],
    ["a short inner line", (a: string) => a.replace(/\n([A-Za-z0-9+/]{64})\n/, (_m, l: string) => `\n${l.slice(0, 60)}\n${l.slice(60)}\n`)],
    ["non-canonical base64", (a: string) => a.replace(/=*\n-----END/, "==x\n-----END")],
  ])("refuses %s, as typage does", (_name, mangle) => {
    const bad = mangle(armored);
    expect(bad).not.toBe(armored);
    expect(() => decodeAgeArmor(bad)).toThrow();
    expect(() => armor.decode(bad)).toThrow();
  });
});
