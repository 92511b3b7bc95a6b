/**
 * `seal trust add` / `seal trust list` as a user runs them (the built CLI), with keys made by the real
 * ssh-keygen and gpg; the folder it writes is what `sealsync --verify-keys` then loads.
 */
import { describe, expect, it } from "@jest/globals";
import path from "node:path";
import { parse } from "yaml";
import { TrustedKeys } from "../../src/source/verify/trusted-keys.js";
import { makePgpSigner, makeSshSigner } from "../env/signing.js";
import { sandbox } from "./seal-helpers.js";

describe("seal trust", () => {
  it("adds SSH and OpenPGP public keys, lists their fingerprints, prints a ConfigMap, and refuses a private key", async () => {
    const sb = sandbox();
    const ssh = makeSshSigner("ed25519", undefined, "jane@example.com");
    const pgp = makePgpSigner("ed25519", "dev@example.com");

    const added = sb.seal(["trust", "add", `${ssh.keyFile}.pub`]);
    expect(added).toMatchObject({ exitCode: 0, stdout: "" });
    expect(added.stderr).toBe(`trusted ssh key ${ssh.fingerprint} (ssh-ed25519, jane@example.com) → .sealsync/trusted-keys/id_ed25519.pub\n`);
    expect(sb.seal(["trust", "add", "-", "--name", "dev"], { input: pgp.armoredPublicKey }).exitCode).toBe(0);

    const secret = sb.seal(["trust", "add", ssh.keyFile]);
    expect(secret).toMatchObject({ exitCode: 2, stdout: "" }); // a wrong argument file: a usage error, by the CLI contract
    expect(secret.stderr).toBe(`seal trust add: ${ssh.keyFile}: this is a private key: give the public key (the .pub file, or gpg --armor --export)\n`);

    const list = sb.seal(["trust", "list"]);
    expect(list.stdout.split("\n")).toEqual([
      "FILE\tFORMAT\tTYPE\tFINGERPRINT\tWHO",
      `dev.asc\topenpgp\teddsaLegacy\t${pgp.fingerprint}\tDev <dev@example.com>`,
      `id_ed25519.pub\tssh\tssh-ed25519\t${ssh.fingerprint}\tjane@example.com`,
      "",
    ]);

    const cm = parse(sb.seal(["trust", "list", "--configmap", "sealsync-trusted-keys"]).stdout) as { kind: string; data: Record<string, string> };
    expect([cm.kind, Object.keys(cm.data)]).toEqual(["ConfigMap", ["dev.asc", "id_ed25519.pub"]]);

    // What sealsync --verify-keys loads from that folder.
    const set = await new TrustedKeys({ dir: path.join(sb.dir, ".sealsync/trusted-keys") }).current();
    expect([[...set.ssh.keys()], set.pgp.map((k) => k.fingerprint)]).toEqual([[ssh.fingerprint], [pgp.fingerprint]]);
  });
});
