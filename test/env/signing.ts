/**
 * Signing keys made at test time by the real tools: SSH keys by `ssh-keygen`, OpenPGP keys by `gpg`
 * (its own home folder per test file), and git configuration so that `git commit -S` / `git tag -s`
 * in a test repo's working clone sign with them.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gitIn, type TestRepo } from "./git.js";

export interface SshSigner {
  kind: "ssh";
  /** Private key file (git's user.signingkey takes the .pub next to it). */
  keyFile: string;
  publicKey: string;
  /** SHA256:… as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export interface PgpSigner {
  kind: "pgp";
  /** A gpg wrapper with its own home (and, for the weak-digest case, --digest-algo SHA1). */
  program: string;
  armoredPublicKey: string;
  /** Primary key fingerprint, upper-case hex. */
  fingerprint: string;
  keyId: string;
}

export type Signer = SshSigner | PgpSigner;

const scratch = () => mkdtempSync(path.join(os.tmpdir(), "sealsync-signers-"));

export function makeSshSigner(type: "ed25519" | "ecdsa" | "rsa", bits?: number, comment = "dev@example.test"): SshSigner {
  const keyFile = path.join(scratch(), `id_${type}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-C", comment, "-f", keyFile]);
  const publicKey = readFileSync(`${keyFile}.pub`, "utf8").trim();
  const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${keyFile}.pub`], { encoding: "utf8" }).split(" ")[1] as string;
  return { kind: "ssh", keyFile, publicKey, fingerprint };
}

/** A gpg key pair in a fresh home; `digest` forces the signature digest (SHA1 for the weak-digest case). */
export function makePgpSigner(algo = "ed25519", email = "pgp-dev@example.test"): PgpSigner {
  const home = scratch();
  chmodSync(home, 0o700);
  const gpg = (args: string[]) => execFileSync("gpg", ["--batch", "--homedir", home, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  gpg(["--passphrase", "", "--quick-gen-key", `Dev <${email}>`, algo, "sign", "never"]);
  const colons = gpg(["--with-colons", "--list-keys", email]);
  const fingerprint = (/^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1]) as string;
  const program = path.join(home, "gpg-wrapper.sh");
  writeFileSync(program, `#!/bin/sh\nexec gpg --homedir "${home}" "$@"\n`, { mode: 0o755 });
  return { kind: "pgp", program, armoredPublicKey: gpg(["--armor", "--export", email]), fingerprint, keyId: fingerprint.slice(-16) };
}

/** The same gpg key, signing with SHA-1 (what old setups with `personal-digest-preferences SHA1` produce). */
export function withSha1(signer: PgpSigner): PgpSigner {
  const program = signer.program.replace(/\.sh$/, "-sha1.sh");
  writeFileSync(program, readFileSync(signer.program, "utf8").replace('exec gpg ', "exec gpg --digest-algo SHA1 "), { mode: 0o755 });
  return { ...signer, program };
}

/** Makes the repo's commits (and `git tag -s`) signed by `signer` (commits unsigned with undefined) from now on. */
export async function signWith(repo: TestRepo, signer: Signer | undefined): Promise<void> {
  const config = (k: string, v: string) => gitIn(repo, ["config", k, v]);
  await config("commit.gpgsign", signer ? "true" : "false");
  if (!signer) return;
  if (signer.kind === "ssh") {
    await config("gpg.format", "ssh");
    await config("user.signingkey", `${signer.keyFile}.pub`);
  } else {
    await config("gpg.format", "openpgp");
    await config("gpg.program", signer.program);
    await config("user.signingkey", signer.fingerprint);
  }
}
