/** `.sops.yaml` lookup and creation-rule matching, as sops does it. */
import { describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findSopsConfig, loadSopsConfig, matchCreationRule, parseSopsConfig, SopsConfigError } from "../../../src/crypto/sops/config.js";
import { sopsVectorsDir as vectors } from "../../env/fixtures.js";

const R1 = "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw";
const R2 = "age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep";

describe(".sops.yaml", () => {
  it("is found from the working directory upward; .sops.yml is not read", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "sops-config-"));
    mkdirSync(path.join(root, "a/b"), { recursive: true });
    writeFileSync(path.join(root, "a/b/.sops.yml"), "creation_rules: []\n");
    writeFileSync(path.join(root, ".sops.yaml"), "creation_rules: []\n");
    expect(findSopsConfig(path.join(root, "a/b"))).toBe(path.join(root, ".sops.yaml"));
  });

  it("matches path_regex against the path relative to the config, first match wins, catch-all last", () => {
    const cfg = parseSopsConfig(
      `creation_rules:\n  - path_regex: prod/.*\\.yaml$\n    age: ${R1}\n    encrypted_regex: ^(data|stringData)$\n  - age: "${R1}, ${R2}"\n    mac_only_encrypted: true\n`,
      "/repo/.sops.yaml",
    );
    const prod = matchCreationRule(cfg, "/repo/prod/db.yaml");
    expect(prod).toMatchObject({ index: 0, keyGroups: [[R1]], selectors: { encryptedRegex: "^(data|stringData)$" } });
    expect(matchCreationRule(cfg, "/repo/dev/db.yaml")).toMatchObject({ index: 1, keyGroups: [[R1, R2]], macOnlyEncrypted: true });
  });

  it("reads real configs; a matched rule that also needs pgp keys is refused, not silently narrowed", () => {
    const sopsExample = loadSopsConfig(path.join(vectors, "getsops-sops/pr1031-examples/sops-config.yaml"));
    expect(sopsExample.rules[0]!.keyGroups.flat()).toEqual([R2, R1]);
    expect(() => matchCreationRule(sopsExample, path.join(vectors, "getsops-sops/pr1031-examples/x.yaml"))).toThrow(/also lists pgp keys/);
    const flux = loadSopsConfig(path.join(vectors, "fluxcd-kustomize-controller/sops-config.yaml"));
    expect(flux.rules.length).toBeGreaterThan(0);
    expect(readFileSync(flux.file, "utf8")).toContain("creation_rules");
  });

  it("explains rules seal cannot honour", () => {
    expect(() => matchCreationRule(parseSopsConfig("creation_rules:\n  - pgp: ABCDEF\n", "/c/.sops.yaml"), "/c/a.yaml")).toThrow(/uses pgp keys only; seal encrypts to age only/);
    expect(() => parseSopsConfig(`creation_rules:\n  - age: ${R1}\n    encrypted_regex: a\n    unencrypted_regex: b\n`, "c")).toThrow(/only one of/);
    expect(() => parseSopsConfig("creation_rules:\n  - age: age1bad\n", "c")).toThrow(SopsConfigError);
    const none = parseSopsConfig(`creation_rules:\n  - path_regex: ^x$\n    age: ${R1}\n`, "/r/.sops.yaml");
    expect(() => matchCreationRule(none, "/r/y.yaml")).toThrow(/no creation_rules entry matches y\.yaml/);
  });
});
