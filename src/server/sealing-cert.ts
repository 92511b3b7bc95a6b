/**
 * The certificate `seal` seals with, as kubeseal finds it: `--cert` (a file, or an http(s) URL such as the
 * sidecar's /v1/cert.pem), else SEALED_SECRETS_CERT (the variable kubeseal reads for its --cert). An
 * expired certificate is refused here, before anything is sealed.
 */
import { UsageError } from "../config/usage-error.js";
import { assertCertificateUsable, type SealingCertificate } from "../crypto/sealed/index.js";
import { readInput, type Io } from "../util/io.js";
import { certUrl, fetchCertificatePem, PublicKeysFetchError, showUrl } from "./public-keys-client.js";

export const CERT_ENV = "SEALED_SECRETS_CERT";

export async function loadSealingCert(flag: string | undefined, io: Io, now = new Date()): Promise<SealingCertificate> {
  const value = flag ?? io.env[CERT_ENV];
  if (!value) {
    throw new UsageError(
      "sealing needs the cluster's certificate: pass --cert FILE (from `seal keygen --rsa`, `seal recipients --from URL -o FILE` " +
        `or \`kubeseal --fetch-cert\`) or --cert http://SIDECAR:9090/v1/cert.pem; ${CERT_ENV} works too`,
    );
  }
  let pem: string;
  let source: string;
  if (/^https?:\/\//i.test(value)) {
    const url = certUrl(value);
    source = showUrl(url);
    const got = await fetchCertificatePem(url);
    if ("reason" in got) throw new PublicKeysFetchError(`GET ${source}: no certificate (${got.reason})`);
    pem = got.pem;
  } else {
    source = value;
    pem = readInput(value, io).toString("utf8");
  }
  return assertCertificateUsable(pem, now, source);
}
