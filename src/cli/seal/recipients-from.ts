/**
 * `seal recipients --from URL`: the cluster's public keys, fetched from the sealsync sidecar — its age
 * recipients (to stdout, one per line) and its sealing certificate (to a file with -o, or to stdout with
 * --format sealed) — so a developer can encrypt for the cluster while every private key stays in it.
 */
import { Option, type Command } from "commander";
import { parseSealingCertificate } from "../../crypto/sealed/index.js";
import { CERT_PATH } from "../../server/public-keys.js";
import { processIo, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import type { OutputFormat } from "./options.js";
import { daemonBaseUrl, endpointUrl, fetchCertificatePem, fetchRecipients, PublicKeysFetchError, showUrl } from "../../server/public-keys-client.js";

export const FROM_ENV = "SEALSYNC_URL";

export interface RecipientsOptions {
  from?: string;
  /** Only the age recipients (sops), only the certificate (sealed); both when unset. */
  format?: OutputFormat;
  output?: string;
}

export async function recipientsCommand(opts: RecipientsOptions, io: Io): Promise<number> {
  if (!opts.from) throw new UsageError(`give the sidecar's address: --from http://HOST:9090 (or ${FROM_ENV})`);
  if (opts.format === "sops" && opts.output) throw new UsageError("-o writes the sealing certificate; it does not apply to --format sops");
  const base = daemonBaseUrl(opts.from);
  const wantAge = opts.format !== "sealed";
  const wantCert = opts.format !== "sops";

  const [age, cert] = await Promise.all([
    wantAge ? fetchRecipients(base) : undefined,
    wantCert ? fetchCertificatePem(endpointUrl(base, CERT_PATH)) : undefined,
  ]);
  const recipients = age && "recipients" in age ? age.recipients : [];
  const certPem = cert && "pem" in cert ? cert.pem : undefined;
  if (recipients.length === 0 && certPem === undefined) {
    const reasons = [age && "reason" in age ? `age: ${age.reason}` : "", cert && "reason" in cert ? `certificate: ${cert.reason}` : ""].filter(Boolean);
    throw new PublicKeysFetchError(`${showUrl(base)} serves no public keys (${reasons.join("; ")}); is it a sealsync sidecar with a keyring?`);
  }

  if (wantAge) {
    if (recipients.length > 0) await writeStdout(io, recipients.map((r) => `${r}\n`).join(""));
    else say(io, `no age recipients (${age && "reason" in age ? age.reason : "none served"})`);
  }
  if (wantCert) {
    if (certPem === undefined) {
      const reason = cert && "reason" in cert ? cert.reason : "none served";
      if (opts.output || opts.format === "sealed") throw new PublicKeysFetchError(`no sealing certificate at ${showUrl(endpointUrl(base, CERT_PATH))} (${reason})`);
      say(io, `no sealing certificate (${reason})`);
    } else {
      const parsed = parseSealingCertificate(certPem, showUrl(endpointUrl(base, CERT_PATH)));
      const about = `sealing certificate of key ${parsed.keyId}, valid until ${parsed.notAfter.toISOString().slice(0, 10)}`;
      if (parsed.notAfter.getTime() < Date.now()) say(io, `warning: the ${about.replace("valid until", "expired on")}: sealing with it will be refused`);
      if (opts.output) {
        writeFileAtomic(opts.output, parsed.pem, io);
        say(io, `wrote the ${about} to ${opts.output}`);
      } else if (opts.format === "sealed") {
        await writeStdout(io, parsed.pem);
      } else {
        say(io, `${about}; save it with -o FILE`);
      }
    }
  }
  return 0;
}

export function registerRecipients(program: Command): void {
  const cmd = program
    .command("recipients")
    .description("fetch the cluster's public keys from the sealsync sidecar (age recipients; the sealing certificate with -o)")
    .addOption(new Option("--from <url>", "the sidecar's address, e.g. http://127.0.0.1:9090").env(FROM_ENV))
    .addOption(new Option("--format <format>", "only the age recipients (sops) or only the certificate (sealed); default both").choices(["sops", "sealed"]))
    .option("-o, --output <file>", "write the sealing certificate (PEM) to this file");
  cmd.addHelpText(
    "after",
    `
Reads GET <url>/v1/recipients and GET <url>/v1/cert.pem, which serve public keys only. The recipients
go to stdout one per line; the certificate goes to -o FILE (or stdout with --format sealed).
From outside the cluster, reach the sidecar with e.g. \`kubectl port-forward -n my-app deploy/my-app 9090\`.

Examples:
  $ seal recipients --from http://127.0.0.1:9090 -o cluster.crt
  $ seal encrypt --age "$(seal recipients --from http://127.0.0.1:9090 --format sops | paste -sd,)" -i k8s/secret.yaml
  $ seal encrypt --format sealed --cert cluster.crt -i k8s/db.yaml`,
  );
  cmd.action(async (flags: RecipientsOptions) => {
    await runCommand("recipients", processIo, () => recipientsCommand(flags, processIo));
  });
}
