/**
 * `seal keygen --rsa`: a SealedSecrets key pair in the controller's format — `tls.key` (PKCS#1, mode 0600)
 * and `tls.crt` (self-signed, the public half to seal with) — or, with --secret, the key Secret manifest
 * that both sealsync and the Sealed Secrets controller read. Existing key files are never overwritten.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { DEFAULT_KEY_BITS, generateSealingKeyPair, keySecretManifest, parseSealingCertificate } from "../../crypto/sealed/index.js";
import { say, UsageError, writeStdout, type Io } from "./common.js";

export interface RsaKeygenOptions {
  bits?: number;
  outDir?: string;
  secret?: string;
  namespace?: string;
}

export async function keygenRsa(opts: RsaKeygenOptions, io: Io): Promise<number> {
  const bits = opts.bits ?? DEFAULT_KEY_BITS;
  if (opts.secret !== undefined) {
    if (opts.outDir !== undefined) throw new UsageError("--secret prints the key Secret manifest to stdout; --out-dir is for key files");
    const pair = await generateSealingKeyPair({ bits });
    const manifest = keySecretManifest({ keyPem: pair.keyPem, certPem: pair.certPem, name: opts.secret, namespace: opts.namespace! });
    await writeStdout(io, stringify(manifest, { lineWidth: 0 }));
    say(io, describe(pair.certPem, bits));
    say(io, "apply it with `kubectl apply -f -` and do NOT commit it: it holds the private key");
    say(io, `seal with its certificate: kubectl get secret ${opts.secret} -n ${opts.namespace} -o jsonpath='{.data.tls\\.crt}' | base64 -d > tls.crt`);
    return 0;
  }
  const dir = path.resolve(io.cwd, opts.outDir ?? ".");
  const keyFile = path.join(dir, "tls.key");
  const certFile = path.join(dir, "tls.crt");
  for (const f of [keyFile, certFile]) {
    if (existsSync(f)) throw new UsageError(`${path.relative(io.cwd, f) || f}: already exists; choose another --out-dir (it may hold a key you still need)`);
  }
  const pair = await generateSealingKeyPair({ bits });
  // A directory we create holds a private key: owner-only.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pair.keyPem, { mode: 0o600, flag: "wx" });
  writeFileSync(certFile, pair.certPem, { mode: 0o644, flag: "wx" });
  const shown = (f: string) => path.relative(io.cwd, f) || f;
  say(io, `wrote ${shown(keyFile)} (mode 0600) and ${shown(certFile)}: ${describe(pair.certPem, bits)}`);
  say(io, `seal with ${shown(certFile)}; put ${shown(keyFile)} in the cluster (never commit it)`);
  return 0;
}

function describe(certPem: string, bits: number): string {
  const cert = parseSealingCertificate(certPem);
  return `RSA-${bits} key ${cert.keyId}, certificate valid until ${cert.notAfter.toISOString().slice(0, 10)}`;
}
