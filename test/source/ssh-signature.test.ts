/**
 * SSHSIG edge cases git cannot produce here: security-key (sk-) signatures (no FIDO device on a test
 * machine: the blobs are built per OpenSSH's PROTOCOL.sshsig / PROTOCOL.u2f with node:crypto), SHA-1
 * `ssh-rsa` signatures, and keys too weak to trust (made by the real ssh-keygen).
 */
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sshString } from "../../src/source/verify/ssh-key.js";
import { parseSshSignature, verifySshSignature } from "../../src/source/verify/sshsig.js";
import { TrustedKeys } from "../../src/source/verify/trusted-keys.js";

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const armor = (blob: Buffer) => `-----BEGIN SSH SIGNATURE-----\n${blob.toString("base64").replace(/.{70}/g, "$&\n")}\n-----END SSH SIGNATURE-----\n`;
const signedData = (message: Buffer) => Buffer.concat([Buffer.from("SSHSIG"), sshString("git"), sshString(""), sshString("sha512"), sshString(createHash("sha512").update(message).digest())]);
const sshsig = (publicKey: Buffer, signature: Buffer) =>
  armor(Buffer.concat([Buffer.from("SSHSIG"), u32(1), sshString(publicKey), sshString("git"), sshString(""), sshString("sha512"), sshString(signature)]));

function skEd25519(flags: number) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const type = "sk-ssh-ed25519@openssh.com";
  const pub = Buffer.concat([sshString(type), sshString(raw), sshString("ssh:")]);
  return {
    sign(message: Buffer) {
      const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest();
      const counter = 7;
      const signed = Buffer.concat([sha256("ssh:"), Buffer.from([flags]), u32(counter), sha256(signedData(message))]);
      const sig = Buffer.concat([sshString(type), sshString(sign(null, signed, privateKey as KeyObject)), Buffer.from([flags]), u32(counter)]);
      return sshsig(pub, sig);
    },
  };
}

describe("SSH signatures", () => {
  const message = Buffer.from("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nsigned\n");

  it("verifies a security-key (sk-ssh-ed25519) signature made with user presence, and rejects it on other content", () => {
    const sig = parseSshSignature(skEd25519(0x01).sign(message));
    expect(sig.publicKey.type).toBe("sk-ssh-ed25519@openssh.com");
    expect(verifySshSignature(sig, message)).toBe(true);
    expect(verifySshSignature(sig, Buffer.from("something else"))).toBe(false);
  });

  it("refuses a security-key signature made without user presence", () => {
    expect(() => verifySshSignature(parseSshSignature(skEd25519(0x00).sign(message)), message)).toThrow("security-key signature made without user presence");
  });

  it("refuses an RSA signature with SHA-1 (ssh-rsa)", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" });
    const mpint = (b64: string) => {
      const b = Buffer.from(b64, "base64url");
      return sshString((b[0] as number) & 0x80 ? Buffer.concat([Buffer.alloc(1), b]) : b);
    };
    const pub = Buffer.concat([sshString("ssh-rsa"), mpint(jwk.e as string), mpint(jwk.n as string)]);
    const sig = Buffer.concat([sshString("ssh-rsa"), sshString(sign("sha1", signedData(message), privateKey))]);
    expect(() => verifySshSignature(parseSshSignature(sshsig(pub, sig)), message)).toThrow("RSA signature with SHA-1 (ssh-rsa) is refused: sign with rsa-sha2-512");
  });

  it("refuses to trust an RSA key under 2048 bits, naming the file and line (key made by ssh-keygen)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-weak-"));
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", path.join(dir, "weak")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "good")]);
    writeFileSync(path.join(dir, "team.pub"), `${readFileSync(path.join(dir, "good.pub"), "utf8")}${readFileSync(path.join(dir, "weak.pub"), "utf8")}`);
    for (const f of ["weak.pub", "good.pub"]) writeFileSync(path.join(dir, f), "");
    await expect(new TrustedKeys({ dir }).current()).rejects.toThrow(`${path.join(dir, "team.pub")}:2: RSA key of 1024 bits is too short (at least 2048 are required)`);
  });
});
