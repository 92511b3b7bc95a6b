/**
 * `seal trust add KEYFILE…` / `seal trust list`: keep the folder of trusted signing keys that
 * `sealsync --verify-keys DIR` reads (SSH public keys as *.pub, OpenPGP public keys as *.asc), and
 * print it as a ConfigMap to mount (public keys only: nothing in it is secret).
 */
import { readdirSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { stringify } from "yaml";
import { TRUSTED_KEY_FILE, TrustError, describeKeyText, type TrustedKeyInfo } from "../../source/verify/trusted-keys.js";
import { processIo, readInput, runCommand, say, UsageError, writeFileAtomic, writeStdout, type Io } from "./common.js";

export const DEFAULT_TRUST_DIR = ".sealsync/trusted-keys";

async function describe(text: string, name: string): Promise<TrustedKeyInfo[]> {
  try {
    return await describeKeyText(text, name);
  } catch (err) {
    if (err instanceof TrustError) throw new UsageError(err.message);
    throw err;
  }
}

export async function trustAdd(files: string[], opts: { dir: string; name?: string }, io: Io): Promise<number> {
  if (opts.name && files.length !== 1) throw new UsageError("--name needs exactly one KEYFILE");
  const dir = path.resolve(io.cwd, opts.dir);
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const text = readInput(file, io).toString("utf8");
    const keys = await describe(text, file);
    const ext = keys[0]?.format === "openpgp" ? ".asc" : ".pub";
    const base = (opts.name ?? path.basename(file === "-" ? "stdin" : file)).replace(/\.(asc|pub|sshpub|gpg|txt)$/, "");
    const target = path.join(opts.dir, `${base}${ext}`);
    writeFileAtomic(target, text.endsWith("\n") ? text : `${text}\n`, io);
    for (const k of keys) say(io, `trusted ${k.format} key ${k.fingerprint} (${k.type}${k.label ? `, ${k.label}` : ""}) → ${target}`);
  }
  return 0;
}

export async function trustList(opts: { dir: string; configmap?: string }, io: Io): Promise<number> {
  const dir = path.resolve(io.cwd, opts.dir);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith(".") && TRUSTED_KEY_FILE.test(n)).sort();
  } catch {
    throw new UsageError(`${opts.dir}: no such folder (add a key with: seal trust add KEYFILE --dir ${opts.dir})`);
  }
  if (opts.configmap) {
    const data = Object.fromEntries(names.map((n) => [n, readFileSync(path.join(dir, n), "utf8")]));
    for (const [n, text] of Object.entries(data)) await describe(text, n);
    await writeStdout(io, stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: opts.configmap }, data }, { lineWidth: 0 }));
    return 0;
  }
  const rows: string[] = [];
  for (const n of names) {
    for (const k of await describe(readFileSync(path.join(dir, n), "utf8"), n)) rows.push(`${n}\t${k.format}\t${k.type}\t${k.fingerprint}\t${k.label}`);
  }
  await writeStdout(io, rows.length ? `${["FILE\tFORMAT\tTYPE\tFINGERPRINT\tWHO", ...rows].join("\n")}\n` : "");
  if (!rows.length) say(io, `no trusted keys in ${opts.dir}`);
  return 0;
}

export function registerTrust(program: Command): void {
  const trust = program.command("trust").description("manage the trusted signing keys for sealsync --verify (public keys only)");
  trust.command("add")
    .description("check a public key file (SSH .pub, or armored OpenPGP from gpg --armor --export) and add it to the trusted folder")
    .argument("<keyfile...>", "public key files (- for stdin)")
    .option("--dir <dir>", "the trusted-keys folder (what --verify-keys reads)", DEFAULT_TRUST_DIR)
    .option("--name <name>", "file name to store it under (default: the key file's name)")
    .addHelpText("after", `
Example:
  $ seal trust add ~/.ssh/id_ed25519.pub
  $ gpg --armor --export jane@example.com | seal trust add - --name jane`)
    .action(async (files: string[], flags: { dir: string; name?: string }) => {
      await runCommand("trust add", processIo, () => trustAdd(files, flags, processIo));
    });
  trust.command("list")
    .description("list the trusted keys with their fingerprints, or print them as a ConfigMap to mount for --verify-keys")
    .option("--dir <dir>", "the trusted-keys folder", DEFAULT_TRUST_DIR)
    .option("--configmap <name>", "print a ConfigMap holding the folder instead of the list")
    .addHelpText("after", `
Example:
  $ seal trust list
  $ seal trust list --configmap sealsync-trusted-keys | kubectl apply -n my-app -f -`)
    .action(async (flags: { dir: string; configmap?: string }) => {
      await runCommand("trust list", processIo, () => trustList(flags, processIo));
    });
}
