#!/usr/bin/env bash
# Re-encrypts the example's two secrets per environment to the PUBLIC DEMO keys in keys-example/
# (after keys-example/make-keys.sh, or to see how the files were made). The plaintext below is demo
# data and public; it goes through pipes only, never into a file. Run after `npm run build`.
#   podinfo-db.sops.yaml           SOPS + age, recipients from .sops.yaml creation_rules (seal encrypt)
#   podinfo-api-token.sealed.yaml  a SealedSecret for the environment's namespace, sealed to tls.crt
#   podinfo.sops.env               SOPS dotenv, fed to the overlay's secretGenerator (podinfo-env)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/manifests-example"
test -f "$root/dist/cli/seal.js" || { echo "run npm run build first" >&2; exit 1; }
seal() { node "$root/dist/cli/seal.js" "$@"; }

# Keep .sops.yaml's recipients in step with the demo key.
recipient="$(cat "$root/keys-example/age.recipient")"
sed -i -E "s/^(    age: ).*/\1${recipient}/" .sops.yaml

# The namespace each environment's sidecar runs in: a SealedSecret (strict scope) opens only there.
declare -A namespace=([production]=sealsync-demo [staging]=sealsync-demo-staging)

for env in production staging; do
  seal encrypt --filename "$env/podinfo-db.sops.yaml" - >"$env/podinfo-db.sops.yaml" <<YAML
# Database credentials, encrypted with SOPS to the age recipients of .sops.yaml.
# Edit: sops $env/podinfo-db.sops.yaml (with the key), or re-create with seal secret / seal encrypt.
apiVersion: v1
kind: Secret
metadata:
  name: podinfo-db
  labels:
    app.kubernetes.io/name: podinfo
    app.kubernetes.io/part-of: sealsync-demo
type: Opaque
stringData:
  username: podinfo-$env
  password: demo-$env-password-public
YAML

  printf 'PODINFO_SMTP_USER=podinfo-%s\nPODINFO_SMTP_PASSWORD=demo-%s-smtp-password-public\n' "$env" "$env" |
    seal encrypt --filename "$env/podinfo.sops.env" - >"$env/podinfo.sops.env"

  SEAL_NAMESPACE="${namespace[$env]}" SEAL_ENV="$env" node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { stringify } from "yaml";
    import { sealSecret } from "'"$root"'/dist/crypto/sealed/index.js";
    const { SEAL_NAMESPACE: namespace, SEAL_ENV: env } = process.env;
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "podinfo-api-token", namespace, labels: { "app.kubernetes.io/name": "podinfo", "app.kubernetes.io/part-of": "sealsync-demo" } },
      type: "Opaque",
      stringData: { token: `demo-${env}-api-token-public` },
    };
    const sealed = sealSecret(secret, readFileSync("'"$root"'/keys-example/tls.crt", "utf8"));
    writeFileSync(`${env}/podinfo-api-token.sealed.yaml`,
      `# The API token, a SealedSecret sealed to keys-example/tls.crt for namespace ${namespace} only (strict scope):\n` +
      "# it opens in that namespace, under this name, and nowhere else.\n" +
      "# Make one: kubeseal --cert tls.crt -o yaml < secret.yaml  (or seal reencrypt for a new certificate)\n" +
      stringify(sealed, { lineWidth: 0 }));
  '
done
echo "encrypted: $(ls production/*.sops.* production/*.sealed.yaml staging/*.sops.* staging/*.sealed.yaml | tr '\n' ' ')"
