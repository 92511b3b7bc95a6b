/**
 * `seal encrypt --format sealed`: Secret manifests in, SealedSecret manifests out, as `kubeseal --cert`
 * makes them; with `--raw`, one value in and one sealed item (standard base64) out, as `kubeseal --raw`.
 * Only the public certificate is needed; other documents of the file pass through untouched.
 */
import {
  isSealedSecret,
  sealRaw,
  sealSecret,
  scopeFromAnnotations,
  SealInputError,
  type SealingCertificate,
  type SealingScope,
} from "../../crypto/sealed/index.js";
import type { SopsFormat } from "../../crypto/sops/index.js";
import { readInput, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";
import { loadSealingCert } from "../../server/sealing-cert.js";
import { isObject, objectName, readManifests, renderManifests, type OutputDoc } from "../../manifests/round-trip.js";

export interface SealedEncryptOptions {
  cert?: string;
  /** Unset: each Secret's scope annotations decide (strict when none), as with kubeseal. */
  scope?: SealingScope;
  raw?: boolean;
  name?: string;
  namespace?: string;
  allowEmptyData?: boolean;
  inPlace?: boolean;
  output?: string;
  inputType?: SopsFormat;
  filename?: string;
}

export async function encryptSealed(file: string, opts: SealedEncryptOptions, io: Io): Promise<number> {
  if (opts.raw) return sealRawValue(file, opts, io);
  if (opts.inPlace && file === "-") throw new UsageError("-i cannot be used with stdin; use -o FILE or redirect stdout");
  if (opts.inPlace && opts.output) throw new UsageError("use either -i or -o, not both");
  const subject = file === "-" ? (opts.filename ?? "stdin") : file;
  const bytes = readInput(file, io);
  const manifests = readManifests(bytes, subject, opts.inputType);
  const secrets = manifests.docs.filter((d) => isObject(d.value) && d.value.kind === "Secret");
  for (const d of manifests.docs) {
    if (isSealedSecret(d.value)) {
      throw new UsageError(`${subject}: ${objectName(d.value as Record<string, unknown>)} is already a SealedSecret; to seal it to a new certificate use \`seal reencrypt\``);
    }
    if (isObject(d.value) && "sops" in d.value) {
      throw new UsageError(`${subject}: is SOPS-encrypted; to turn it into a SealedSecret, decrypt it first: seal decrypt ${subject} | seal encrypt --format sealed --cert CERT -`);
    }
  }
  if (secrets.length === 0) {
    throw new UsageError(`${subject}: no kind: Secret to seal; give a Secret manifest, or seal a single value with --raw`);
  }
  if (opts.name && secrets.length > 1) throw new UsageError(`--name renames one Secret, but ${subject} holds ${secrets.length}`);
  const cert = await loadSealingCert(opts.cert, io);

  const sealed: string[] = [];
  const out: OutputDoc[] = manifests.docs.map((d) => {
    if (!secrets.includes(d)) return { keep: d.source };
    const secret = d.value as Record<string, unknown>;
    const at = secrets.length > 1 ? `${subject} (document ${d.index + 1})` : subject;
    checkPlace(secret, opts, at);
    try {
      const ss = sealSecret(secret, cert, { scope: opts.scope, namespace: opts.namespace, name: opts.name, allowEmptyData: opts.allowEmptyData });
      const items = Object.keys(ss.spec.encryptedData).length;
      sealed.push(`${objectName(ss as unknown as Record<string, unknown>)} (${items} item${items === 1 ? "" : "s"}, ${scopeFromAnnotations(ss.metadata.annotations)} scope)`);
      return { value: ss };
    } catch (err) {
      if (err instanceof SealInputError) throw new UsageError(`${at}: ${err.message.replace("allow empty data", "pass --allow-empty-data")}`);
      throw err;
    }
  });
  const text = renderManifests(out, manifests.syntax);
  if (opts.inPlace || opts.output) {
    const target = opts.inPlace ? file : opts.output!;
    writeFileAtomic(target, text, io);
    say(io, `sealed ${sealed.join(", ")} → ${target} for key ${cert.keyId}`);
  } else {
    await writeStdout(io, text);
  }
  return 0;
}

/** Strict and namespace-wide scopes bind the namespace; say how to give one before sealing. */
function checkPlace(secret: Record<string, unknown>, opts: SealedEncryptOptions, at: string): void {
  const md = isObject(secret.metadata) ? secret.metadata : {};
  const annotations = isObject(md.annotations) ? md.annotations : undefined;
  const scope = opts.scope ?? scopeFromAnnotations(annotations);
  const namespace = opts.namespace || (typeof md.namespace === "string" ? md.namespace : "");
  if (scope !== "cluster-wide" && !namespace) {
    throw new UsageError(
      `${at}: Secret ${objectName(secret)} has no metadata.namespace, which its ${scope} scope binds: set it, pass -n NS, or use --scope cluster-wide`,
    );
  }
}

async function sealRawValue(file: string, opts: SealedEncryptOptions, io: Io): Promise<number> {
  if (opts.inPlace) throw new UsageError("--raw prints one sealed value; -i does not apply (use -o FILE or stdout)");
  if (opts.allowEmptyData) throw new UsageError("--allow-empty-data is for Secret manifests, not --raw");
  const scope = opts.scope ?? "strict";
  if (scope !== "cluster-wide" && !opts.namespace) {
    throw new UsageError(`--raw with ${scope} scope needs --namespace NS (the Secret's namespace)${scope === "strict" ? " and --name NAME" : ""}, or use --scope cluster-wide`);
  }
  if (scope === "strict" && !opts.name) throw new UsageError("--raw with strict scope needs --name NAME (the Secret's name), or use --scope namespace-wide");
  const value = readInput(file, io);
  const cert: SealingCertificate = await loadSealingCert(opts.cert, io);
  const sealed = sealRaw(value, cert, { scope, name: opts.name, namespace: opts.namespace });
  if (file === "-" && value.at(-1) === 0x0a) {
    say(io, "seal encrypt: note: the value read from stdin ends with a newline, which is sealed too (use printf %s or echo -n if that is not meant)");
  }
  if (opts.output) {
    writeFileAtomic(opts.output, `${sealed}\n`, io);
    say(io, `sealed one value (${scope}) → ${opts.output} for key ${cert.keyId}`);
  } else {
    await writeStdout(io, `${sealed}\n`);
  }
  return 0;
}
