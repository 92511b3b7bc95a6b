/**
 * --verify against history signed by the real `git` (gpg.format=ssh with keys from ssh-keygen, and
 * OpenPGP keys made by the real gpg), served by the real Git server.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GitSource } from "../../src/source/git.js";
import { CommitVerifier, VerificationError, type VerifyMode } from "../../src/source/verify/verifier.js";
import { TrustedKeys } from "../../src/source/verify/trusted-keys.js";
import { commitFiles, createRepo, gitIn, type TestRepo } from "../env/git.js";
import { makePgpSigner, makeSshSigner, signWith, withSha1, type PgpSigner, type SshSigner } from "../env/signing.js";

let ed: SshSigner;
let ecdsa: SshSigner;
let rsa: SshSigner;
let stranger: SshSigner;
let pgp: PgpSigner;
let pgpRsa: PgpSigner;

beforeAll(() => {
  ed = makeSshSigner("ed25519");
  ecdsa = makeSshSigner("ecdsa", 384);
  rsa = makeSshSigner("rsa", 3072);
  stranger = makeSshSigner("ed25519", undefined, "stranger@example.test");
  pgp = makePgpSigner("ed25519", "pgp@example.test");
  pgpRsa = makePgpSigner("rsa3072", "pgp-rsa@example.test");
}, 60_000);

interface Trust {
  keys?: Record<string, string>;
  allowedSigners?: string;
}

function source(repo: TestRepo, mode: Exclude<VerifyMode, "off">, trust: Trust, extra: { ref?: string; since?: string; dataDir?: string } = {}) {
  const dataDir = extra.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "sealsync-verify-"));
  const passwordFile = path.join(dataDir, "pw");
  writeFileSync(passwordFile, repo.password);
  let dir: string | undefined;
  if (trust.keys) {
    dir = path.join(dataDir, "trusted");
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(trust.keys)) writeFileSync(path.join(dir, name), text);
  }
  let allowedSignersFile: string | undefined;
  if (trust.allowedSigners !== undefined) {
    allowedSignersFile = path.join(dataDir, "allowed_signers");
    writeFileSync(allowedSignersFile, trust.allowedSigners);
  }
  const keys = new TrustedKeys({ dir, allowedSignersFile });
  const verifier = new CommitVerifier({ mode, keys, since: extra.since, stateFile: path.join(dataDir, "verified.json") });
  return { dataDir, dir, src: new GitSource({ allowInsecureHttp: true, url: repo.url, ref: extra.ref, dataDir, username: repo.username, passwordFile, verifier }) };
}

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error("expected the revision to be refused"); }, (e: unknown) => e as VerificationError);
const head = (repo: TestRepo) => gitIn(repo, ["rev-parse", "HEAD"]);

describe("--verify head", () => {
  it("accepts commits signed by trusted ed25519, ECDSA P-384 and RSA-3072 SSH keys, reporting the signer's fingerprint", async () => {
    const repo = createRepo("sig-ssh");
    const trust = { keys: { "team.pub": `${ed.publicKey}\n${ecdsa.publicKey}\n`, "rsa.sshpub": `${rsa.publicKey}\n` } };
    for (const signer of [ed, ecdsa, rsa]) {
      await signWith(repo, signer);
      const sha = await commitFiles(repo, { "a.yaml": `kind: ${signer.fingerprint.slice(7, 12)}\n` });
      const rev = await source(repo, "head", trust).src.fetch();
      expect([rev.sha, rev.verification]).toEqual([sha, { mode: "head", signer: signer.fingerprint, commits: 1 }]);
      expect(rev.files.has("a.yaml")).toBe(true);
    }
  });

  it("refuses an unsigned commit, one signed by an untrusted key, and a tampered one, naming the commit, the signer and why", async () => {
    const repo = createRepo("sig-bad");
    const trust = { keys: { "ed.pub": ed.publicKey } };
    await signWith(repo, undefined);
    const unsigned = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    expect((await failure(source(repo, "head", trust).src.fetch())).message)
      .toBe(`signature verification failed for commit ${unsigned}: it is not signed`);

    await signWith(repo, stranger);
    const foreign = await commitFiles(repo, { "a.yaml": "kind: B\n" });
    expect((await failure(source(repo, "head", trust).src.fetch())).message).toBe(
      `signature verification failed for commit ${foreign} (signer ${stranger.fingerprint}): signed by SSH key ${stranger.fingerprint}, which is not a trusted key`);

    // Same signature, another message: rebuild the object with the real git and push it over the branch.
    await signWith(repo, ed);
    await commitFiles(repo, { "a.yaml": "kind: C\n" }, { message: "reviewed change" });
    const raw = await gitIn(repo, ["cat-file", "commit", "HEAD"]);
    writeFileSync(path.join(repo.workdir, ".tampered"), `${raw.replace("reviewed change", "sneaky change")}\n`);
    const tampered = await gitIn(repo, ["hash-object", "-t", "commit", "-w", ".tampered"]);
    await gitIn(repo, ["push", "--quiet", "--force", "origin", `${tampered}:refs/heads/main`]);
    const err = await failure(source(repo, "head", trust).src.fetch());
    expect(err.message).toBe(`signature verification failed for commit ${tampered} (signer ${ed.fingerprint}): the signature does not match the content (tampered payload?)`);
  });

  it("accepts an OpenPGP signature by a trusted gpg key, and refuses a SHA-1 one and an unknown gpg key", async () => {
    const repo = createRepo("sig-pgp");
    const trust = { keys: { "dev.asc": pgp.armoredPublicKey, "dev-rsa.asc": pgpRsa.armoredPublicKey } };
    await signWith(repo, pgp);
    const sha = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    expect((await source(repo, "head", trust).src.fetch()).verification).toEqual({ mode: "head", signer: pgp.fingerprint, commits: 1 });

    await signWith(repo, withSha1(pgpRsa));
    const weak = await commitFiles(repo, { "a.yaml": "kind: B\n" });
    expect((await failure(source(repo, "head", trust).src.fetch())).message).toBe(
      `signature verification failed for commit ${weak} (signer ${pgpRsa.fingerprint}): signature uses SHA1, which is refused (sign with SHA-256 or stronger)`);

    await signWith(repo, pgp);
    await commitFiles(repo, { "a.yaml": "kind: C\n" });
    expect((await failure(source(repo, "head", { keys: { "other.asc": pgpRsa.armoredPublicKey } }).src.fetch())).message)
      .toMatch(new RegExp(`^signature verification failed for commit [0-9a-f]{40} \\(signer ${pgp.fingerprint}\\): signed by OpenPGP key ${pgp.fingerprint}, which is not a trusted key$`));
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("honours allowed_signers: the git namespace and the validity window at the commit's time", async () => {
    const repo = createRepo("sig-allowed");
    await signWith(repo, ed);
    const sha = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const line = (opts: string) => `dev@example.test ${opts}${opts ? " " : ""}${ed.publicKey}\n`;
    expect((await source(repo, "head", { allowedSigners: line('namespaces="git,file"') }).src.fetch()).verification?.signer).toBe(ed.fingerprint);
    const expired = source(repo, "head", { allowedSigners: line('valid-before="20200101Z"') });
    expect((await failure(expired.src.fetch())).message).toBe(`signature verification failed for commit ${sha} (signer ${ed.fingerprint}): ` +
      `SSH key ${ed.fingerprint} is in the allowed signers but expired: valid before 2020-01-01T00:00:00.000Z only (${expired.dataDir}/allowed_signers:1)`);
    const otherNamespace = source(repo, "head", { allowedSigners: line('namespaces="file"') });
    expect((await failure(otherNamespace.src.fetch())).message).toContain(`allowed for namespaces "file", not "git" (${otherNamespace.dataDir}/allowed_signers:1)`);
  });

  it("picks up a key added to the trusted folder without a restart", async () => {
    const repo = createRepo("sig-reload");
    await signWith(repo, ecdsa);
    await commitFiles(repo, { "a.yaml": "kind: A\n" });
    const { src, dir } = source(repo, "head", { keys: { "ed.pub": ed.publicKey } });
    expect((await failure(src.fetch())).message).toContain("which is not a trusted key");
    writeFileSync(path.join(dir as string, "ecdsa.pub"), ecdsa.publicKey);
    expect((await src.fetch()).verification?.signer).toBe(ecdsa.fingerprint);
  });
});

describe("--verify tag / tag-and-head", () => {
  it("checks the annotated tag's signature (and with tag-and-head the commit's too); a lightweight tag is refused", async () => {
    const repo = createRepo("sig-tag");
    await signWith(repo, ed);
    const sha = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    await signWith(repo, rsa);
    await gitIn(repo, ["tag", "-s", "-m", "release 1", "v1"]);
    await gitIn(repo, ["tag", "v1-light"]);
    await gitIn(repo, ["push", "--quiet", "origin", "v1", "v1-light"]);
    const trust = { keys: { "team.pub": `${ed.publicKey}\n${rsa.publicKey}\n` } };
    const tagged = await source(repo, "tag", trust, { ref: "v1" }).src.fetch();
    expect([tagged.sha, tagged.verification]).toEqual([sha, { mode: "tag", signer: rsa.fingerprint, commits: 0 }]);
    expect((await source(repo, "tag-and-head", trust, { ref: "v1" }).src.fetch()).verification)
      .toEqual({ mode: "tag-and-head", signer: `${rsa.fingerprint},${ed.fingerprint}`, commits: 1 });
    expect((await failure(source(repo, "tag", trust, { ref: "v1-light" }).src.fetch())).message).toBe(
      "signature verification failed for ref v1-light: --verify tag needs --ref to name an annotated tag (a lightweight tag or branch has no tag signature)");
    // The tag signer is not trusted: the commit's good signature does not help.
    const tagObject = await gitIn(repo, ["rev-parse", "v1"]);
    expect((await failure(source(repo, "tag-and-head", { keys: { "ed.pub": ed.publicKey } }, { ref: "v1" }).src.fetch())).message).toBe(
      `signature verification failed for tag v1 (${tagObject}) (signer ${rsa.fingerprint}): signed by SSH key ${rsa.fingerprint}, which is not a trusted key`);
  });
});

describe("--verify strict", () => {
  it("checks every commit since the last verified one, both parents of merges included, deepening the shallow fetch", async () => {
    const repo = createRepo("sig-strict");
    const trust = { keys: { "ed.pub": ed.publicKey } };
    await signWith(repo, ed);
    const base = await commitFiles(repo, { "a.yaml": "kind: A\n" });
    // A side branch with an unsigned commit, merged by a signed merge commit.
    await signWith(repo, undefined);
    const sneaky = await commitFiles(repo, { "b.yaml": "kind: B\n" }, { branch: "feature" });
    await signWith(repo, ed);
    for (let i = 0; i < 20; i++) await commitFiles(repo, { "c.yaml": `kind: C${i}\n` }, { branch: "main" });
    await gitIn(repo, ["merge", "--quiet", "--no-ff", "-S", "-m", "merge feature", "feature"]);
    await gitIn(repo, ["push", "--quiet", "origin", "main"]);
    const merge = await head(repo);

    // head mode only looks at the merge commit, which is signed.
    expect((await source(repo, "head", trust).src.fetch()).sha).toBe(merge);
    const strict = source(repo, "strict", trust, { since: base });
    expect((await failure(strict.src.fetch())).message).toBe(
      `signature verification failed for commit ${sneaky} (in the history of ${merge}): it is not signed`);

    // Once the unsigned commit is behind the starting point, the 21 commits after it verify…
    const fixed = source(repo, "strict", trust, { since: sneaky });
    const rev = await fixed.src.fetch();
    expect([rev.sha, rev.verification]).toEqual([merge, { mode: "strict", signer: ed.fingerprint, commits: 21 }]);
    // …and the next fetch checks only what is new since the verified merge.
    await commitFiles(repo, { "d.yaml": "kind: D\n" });
    const next = await source(repo, "strict", trust, { since: sneaky, dataDir: fixed.dataDir }).src.fetch();
    expect(next.verification).toEqual({ mode: "strict", signer: ed.fingerprint, commits: 1 });
  });
});
