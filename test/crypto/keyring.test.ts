/**
 * The keyring over a key directory laid out exactly as the kubelet mounts a Secret (`..<ts>/` plus an
 * atomically swapped `..data` symlink and per-key symlinks): keys load, reload on a swap without restart,
 * old keys keep decrypting, and a broken update never drops the keys in force.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Keyring, KeyringLoadError, type KeyringChange } from "../../src/crypto/keyring.js";
import { generateSealingKeyPair, loadRsaKey, sealSecret, unsealSealedSecret, type SealingKeyPair } from "../../src/crypto/sealed/index.js";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";
import { secret, tempDir, values } from "./sealed/helpers.js";

/** Publishes `files` into `dir` the way the kubelet's AtomicWriter updates a mounted Secret. */
function publish(dir: string, files: Record<string, string>): void {
  const version = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${randomBytes(3).toString("hex")}`;
  fs.mkdirSync(path.join(dir, version));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, version, name), text, { mode: 0o600 });
  const previous = fs.existsSync(path.join(dir, "..data")) ? fs.readlinkSync(path.join(dir, "..data")) : undefined;
  fs.symlinkSync(version, path.join(dir, "..data_tmp"));
  fs.renameSync(path.join(dir, "..data_tmp"), path.join(dir, "..data")); // The atomic swap.
  for (const name of Object.keys(files)) {
    if (!fs.existsSync(path.join(dir, name))) fs.symlinkSync(path.join("..data", name), path.join(dir, name));
  }
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(".") && !(name in files)) fs.unlinkSync(path.join(dir, name));
  }
  if (previous) fs.rmSync(path.join(dir, previous), { recursive: true });
}

function ageKeygen(): { text: string; recipient: string } {
  const r = run(testAssets().ageKeygen, []);
  expect(r.exitCode).toBe(0);
  return { text: r.stdout, recipient: /# public key: (age1\S+)/.exec(r.stdout)![1]! };
}

function nextEvent<T>(ring: Keyring, event: "reload" | "reloadError", timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event within ${timeoutMs} ms`)), timeoutMs);
    ring.once(event, (arg: unknown) => {
      clearTimeout(timer);
      resolve(arg as T);
    });
  });
}

let oldPair: SealingKeyPair;
let newPair: SealingKeyPair;
let thirdPair: SealingKeyPair;
const rings: Keyring[] = [];
afterEach(async () => {
  await Promise.all(rings.splice(0).map((r) => r.close()));
});

beforeAll(async () => {
  [oldPair, newPair, thirdPair] = await Promise.all([
    generateSealingKeyPair({ bits: 2048, notBefore: new Date(Date.now() - 30 * 86_400_000) }),
    generateSealingKeyPair({ bits: 2048 }),
    generateSealingKeyPair({ bits: 2048, notBefore: new Date(Date.now() - 60 * 86_400_000) }),
  ]);
});

async function open(dir: string): Promise<Keyring> {
  const ring = await Keyring.open({ dirs: [dir], debounceMs: 100, resyncIntervalMs: 0 });
  rings.push(ring);
  return ring;
}

describe("Keyring over a mounted key directory", () => {
  it("loads age identities and RSA pairs by file name, ignores the rest, and seals with the newest RSA key", async () => {
    const dir = tempDir("keys-");
    const age1 = ageKeygen();
    const age2 = ageKeygen();
    publish(dir, {
      "tls.key": oldPair.keyPem, "tls.crt": oldPair.certPem,
      "next.key": newPair.keyPem, "next.crt": newPair.certPem,
      "keys.txt": age1.text, "team.agekey": age2.text,
      "README": "not a key",
    });
    const ring = await open(dir);
    const oldId = loadRsaKey(oldPair.keyPem, "x").id;
    const newId = loadRsaKey(newPair.keyPem, "x").id;
    expect(ring.rsaKeys().map((k) => k.id)).toEqual([newId, oldId]);
    expect(ring.sealingKey()?.id).toBe(newId);
    expect(ring.sealingKey()?.certPem).toContain("BEGIN CERTIFICATE");
    expect(ring.ageIdentities().map((i) => i.recipient).sort()).toEqual([age1.recipient, age2.recipient].sort());
    expect(ring.keys()).toEqual(expect.arrayContaining([
      { id: newId, kind: "rsa", source: `${dir}/next.key` },
      { id: age1.recipient, kind: "age", source: `${dir}/keys.txt` },
    ]));
    // Ids and sources only: key listings never carry material.
    expect(JSON.stringify(ring.keys())).not.toMatch(/PRIVATE|AGE-SECRET-KEY/);
  });

  it("picks up a key added by a ..data swap without restart, and the old key still decrypts", async () => {
    const dir = tempDir("keys-");
    publish(dir, { "tls.key": oldPair.keyPem, "tls.crt": oldPair.certPem });
    const ring = await open(dir);
    const sealedOld = sealSecret(secret("db", "shop", { password: "old-era" }), oldPair.certPem);
    const oldId = ring.sealingKey()!.id;

    const reloaded = nextEvent<KeyringChange>(ring, "reload");
    publish(dir, { "tls.key": oldPair.keyPem, "tls.crt": oldPair.certPem, "next.key": newPair.keyPem, "next.crt": newPair.certPem });
    const change = await reloaded;
    const newId = loadRsaKey(newPair.keyPem, "x").id;
    expect(change.added).toEqual([{ id: newId, kind: "rsa", source: `${dir}/next.key` }]);
    expect(change.removed).toEqual([]);
    expect(ring.sealingKey()!.id).toBe(newId);

    const sealedNew = sealSecret(secret("db", "shop", { password: "new-era" }), ring.sealingKey()!.certPem!);
    expect(values(unsealSealedSecret(sealedOld, ring.rsaKeys()).object).password!.toString()).toBe("old-era");
    const fresh = unsealSealedSecret(sealedNew, ring.rsaKeys());
    expect(values(fresh.object).password!.toString()).toBe("new-era");
    expect(fresh.keyId).toBe(newId);
    expect(unsealSealedSecret(sealedOld, ring.rsaKeys()).keyId).toBe(oldId);
  });

  it("reports a removed key, and keys replaced under the same file name as one removal plus one addition", async () => {
    const dir = tempDir("keys-");
    publish(dir, { "a.key": oldPair.keyPem, "b.key": newPair.keyPem });
    const ring = await open(dir);
    const [oldId, newId, thirdId] = [oldPair, newPair, thirdPair].map((p) => loadRsaKey(p.keyPem, "x").id);

    let reloaded = nextEvent<KeyringChange>(ring, "reload");
    publish(dir, { "a.key": oldPair.keyPem });
    expect(await reloaded).toMatchObject({ added: [], removed: [{ id: newId, kind: "rsa" }] });

    reloaded = nextEvent<KeyringChange>(ring, "reload");
    publish(dir, { "a.key": thirdPair.keyPem });
    const change = await reloaded;
    expect(change.added.map((k) => k.id)).toEqual([thirdId]);
    expect(change.removed.map((k) => k.id)).toEqual([oldId]);
  });

  it("keeps the keys in force when an update is broken, reports why, and recovers on the next good update", async () => {
    const dir = tempDir("keys-");
    publish(dir, { "tls.key": oldPair.keyPem, "tls.crt": oldPair.certPem });
    const ring = await open(dir);
    const before = ring.keys();

    const failed = nextEvent<Error>(ring, "reloadError");
    publish(dir, { "tls.key": "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n", "tls.crt": oldPair.certPem });
    const err = await failed;
    expect(err).toBeInstanceOf(KeyringLoadError);
    expect(err.message).toBe(`key source ${dir}/tls.key: the private key PEM does not parse`);
    expect(ring.keys()).toEqual(before);

    const reloaded = nextEvent<KeyringChange>(ring, "reload");
    publish(dir, { "tls.key": newPair.keyPem, "tls.crt": newPair.certPem });
    expect((await reloaded).added.map((k) => k.id)).toEqual([loadRsaKey(newPair.keyPem, "x").id]);
  });

  it("refuses to open on an unreadable source, naming the file and the fix", async () => {
    const dir = tempDir("keys-");
    publish(dir, { "age.key": ageKeygen().text });
    await expect(Keyring.open({ dirs: [dir], watch: false })).rejects.toThrow(
      `key source ${dir}/age.key: holds an age identity; name age key files *.agekey or keys.txt (*.key is for RSA PEM keys)`);
    publish(dir, { "tls.key": oldPair.keyPem, "tls.crt": newPair.certPem });
    await expect(Keyring.open({ dirs: [dir], watch: false })).rejects.toThrow(/tls.key: its certificate is for key SHA256:\S+, not for this key/);
    publish(dir, { "keys.txt": "# only a comment\n" });
    await expect(Keyring.open({ dirs: [dir], watch: false })).rejects.toThrow(`key source ${dir}/keys.txt: no age identity found`);
    await expect(Keyring.open({ dirs: [path.join(dir, "missing")], watch: false })).rejects.toThrow(/cannot list the key directory \(ENOENT\)/);
  });

  it("reload() re-reads on demand, and a closed keyring stops watching", async () => {
    const dir = tempDir("keys-");
    publish(dir, { "tls.key": oldPair.keyPem });
    const ring = await Keyring.open({ dirs: [dir], watch: false, resyncIntervalMs: 0 });
    rings.push(ring);
    publish(dir, { "tls.key": oldPair.keyPem, "b.key": newPair.keyPem });
    expect((await ring.reload()).added).toHaveLength(1);
    expect((await ring.reload()).added).toHaveLength(0);

    const watched = await open(dir);
    await watched.close();
    let events = 0;
    watched.on("reload", () => events++);
    // A witness watching the same folder proves the change was seen; by then the closed one must be silent.
    const witness = await open(dir);
    const seen = nextEvent<KeyringChange>(witness, "reload");
    publish(dir, { "tls.key": thirdPair.keyPem });
    expect((await seen).added.map((k) => k.id)).toHaveLength(1);
    expect(events).toBe(0);
  });

  it("a resync timer catches changes without watch events", async () => {
    const dir = tempDir("keys-");
    publish(dir, { "tls.key": oldPair.keyPem });
    const ring = await Keyring.open({ dirs: [dir], watch: false, resyncIntervalMs: 150 });
    rings.push(ring);
    const reloaded = nextEvent<KeyringChange>(ring, "reload");
    publish(dir, { "tls.key": oldPair.keyPem, "b.key": newPair.keyPem });
    expect((await reloaded).added).toHaveLength(1);
  });
});
