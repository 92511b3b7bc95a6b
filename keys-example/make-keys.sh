#!/usr/bin/env bash
# Regenerates the PUBLIC DEMO keys in this folder (never use them for anything real) and the key Secret
# manifest that holds them. Afterwards run manifests-example/encrypt.sh: everything encrypted to the old
# keys stops decrypting. Run from the repository root after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f dist/cli/seal.js || { echo "run npm run build first" >&2; exit 1; }
rm -f keys-example/age.agekey keys-example/tls.key keys-example/tls.crt

# age identity for SOPS, in age-keygen's format (the keyring reads *.agekey files).
node dist/cli/seal.js keygen -o keys-example/age.agekey >/dev/null

# RSA key pair + self-signed certificate for SealedSecrets, as the Sealed Secrets controller makes them
# (4096 bits, 10 years). `seal keygen` has no --rsa yet, so this calls the same library function directly.
node --input-type=module -e '
  import { writeFileSync } from "node:fs";
  import { generateSealingKeyPair } from "./dist/crypto/sealed/index.js";
  const { keyPem, certPem } = await generateSealingKeyPair({ commonName: "sealsync demo (public, never for real use)" });
  writeFileSync("keys-example/tls.key", keyPem, { mode: 0o600 });
  writeFileSync("keys-example/tls.crt", certPem);
'

# The key Secret: the same file names as in this folder, so `--keys DIR` reads a mounted copy of it
# exactly as it reads keys-example/ itself; labelled so `--keys-from-secrets` finds it too.
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  import { stringify } from "yaml";
  const file = (n) => Buffer.from(readFileSync(`keys-example/${n}`)).toString("base64");
  const recipient = /^# public key: (age1\S+)$/m.exec(readFileSync("keys-example/age.agekey", "utf8"))[1];
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "sealsync-keys",
      namespace: "sealsync-demo",
      labels: { "sealsync.dev/key": "active" },
      annotations: { "sealsync.dev/age-recipient": recipient },
    },
    type: "Opaque",
    data: { "age.agekey": file("age.agekey"), "tls.crt": file("tls.crt"), "tls.key": file("tls.key") },
  };
  writeFileSync("keys-example/key-secret.yaml",
    "# PUBLIC DEMO KEYS, never for real use: anyone can decrypt what is encrypted to them.\n" +
    "# The key Secret deploy/ mounts (see keys-example/README.md to make a real one).\n" +
    stringify(secret, { lineWidth: 0 }));
  writeFileSync("keys-example/age.recipient", recipient + "\n");
'
echo "demo age recipient: $(cat keys-example/age.recipient)"
