/**
 * Stable public ids for RSA keys: the OpenSSH-style SHA256 fingerprint of the public key, which is also the
 * id the Sealed Secrets controller keys its registry by. Safe to log and audit; it reveals nothing secret.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/** SSH `mpint`: big-endian two's complement, so a set top bit needs a leading zero byte. */
function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  const body = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), trimmed]) : trimmed;
  return sshString(body);
}

function sshString(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** `SHA256:<unpadded base64>` of the `ssh-rsa` public key blob (as `ssh-keygen -l` prints it). */
export function rsaKeyId(key: KeyObject): string {
  // Export only the public half: the private JWK is never needed here.
  const jwk = (key.type === "private" ? createPublicKey(key) : key).export({ format: "jwk" });
  if (jwk.kty !== "RSA" || !jwk.n || !jwk.e) throw new TypeError("rsaKeyId needs an RSA key");
  const blob = Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    sshMpint(Buffer.from(jwk.e, "base64url")),
    sshMpint(Buffer.from(jwk.n, "base64url")),
  ]);
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}
