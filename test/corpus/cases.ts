/**
 * The bad-input corpus (issue 11): over 200 distinct revisions a Git writer could push, each with the
 * rule sealsync must refuse it by and the values that must never appear in the message. Encrypted
 * cases are made at test time with the repository's public demo keys (keys-example/) and then tampered
 * with, so they always match the code that reads them.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { encryptSopsFile } from "../../src/crypto/sops/index.js";
import { generateAgeIdentity } from "../../src/crypto/age.js";
import { generateSealingKeyPair, sealSecret } from "../../src/crypto/sealed/index.js";
import type { RejectionRule } from "../../src/manifests/errors.js";
import { repoRoot } from "../env/assets.js";

/** "source": the source refuses the revision; "symlink-ignored": accepted, the link unread and warned about. */
export type ExpectedRule = RejectionRule | "source" | "symlink-ignored";

export type FileContent = string | Buffer | { symlink: string };

export interface CorpusCase {
  name: string;
  /** Files of the revision, relative to the repository root. */
  files: Record<string, FileContent>;
  /** --path; default the root. */
  path?: string;
  /** Several when the kubectl-exact reader may refuse it earlier or later (e.g. JSON read as YAML 1.1). */
  rule: ExpectedRule | ExpectedRule[];
  /** The file the problem must be reported against (default: the only bad file, bad.*). */
  file?: string;
  /** Values that must not appear in any message. */
  planted: string[];
}

export const NAMESPACE = "corpus";
/** The corpus's --max-file-size: room for the 200,000-deep documents, which the parser must refuse itself. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
export const KEYS_DIR = path.join(repoRoot, "keys-example");
const RECIPIENT = readFileSync(path.join(KEYS_DIR, "age.recipient"), "utf8").trim();
const CERT = readFileSync(path.join(KEYS_DIR, "tls.crt"), "utf8");

/** A good object in every case: a bad file must never hide behind, or take down the report of, a good one. */
const GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\ndata:\n  k: v\n";

const SECRET_VALUES = ["Pl4nted-pw-0xA1", "Pl4nted-user-0xB2", "Pl4nted-token-0xC3"];
const plainSecret = (name = "db") => ({
  apiVersion: "v1", kind: "Secret", metadata: { name },
  stringData: { password: SECRET_VALUES[0], username: SECRET_VALUES[1], token: SECRET_VALUES[2] },
});

const one = (name: string, bad: FileContent, rule: ExpectedRule | ExpectedRule[], opts: { ext?: string; planted?: string[] } = {}): CorpusCase => ({
  name, rule, planted: opts.planted ?? [], files: { "good.yaml": GOOD, [`bad.${opts.ext ?? "yaml"}`]: bad },
});

const obj = (kind: string, name: string, extra = "", apiVersion = "v1") => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${extra}`;

function malformedYaml(): CorpusCase[] {
  const texts = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: [name, x\n",
    "apiVersion: v1\n kind: ConfigMap\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n    bad: indent\n",
    "apiVersion: \"v1\nkind: ConfigMap\n",
    "apiVersion: 'v1\nkind: ConfigMap\n",
    "key: value: another\n",
    "- a\nb: c\n",
    "a: b\n- c\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: *undefined_alias\n",
    "a: &x 1\nb: &x 2\nc: *y\n",
    "{\"a\": 1,, \"b\": 2}\n",
    "apiVersion: v1\n\tkind: ConfigMap\n",
    "a: [1, 2\nb: 3\n",
    "a: {b: c, d}\ne: }\n",
    "a: 'x' 'y'\n",
    "a: |\n bad\nb: 1\n  c: 2\n",
    "a: [b, c] d\n",
    "key: \"a\" b\n",
    "a: !<tag:unknown b\n",
    "a: b\na: c\n",
    "metadata:\n  name: x\n  name: y\n",
    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok2}\n---\nbroken: [\n",
    "'unterminated: single\n",
    "a: \"\\x\"\n",
    "a: b #comment\n  - c\n",
    "[a, b]]\n",
    "a:\n  - b\n  c: d\n",
    "@reserved: 1\n",
    "`backtick: 1\n",
  ];
  // Duplicate keys: kubectl (go-yaml v2) keeps the last, so these are objects without a kind.
  const kubectlReads = new Set(["a: b\na: c\n", "metadata:\n  name: x\n  name: y\n"]);
  return texts.map((t, i) => one(`malformed YAML #${i + 1}`, `# Pl4nted-yaml-${i}\n${t}`, kubectlReads.has(t) ? "required-fields" : "parse", { planted: [`Pl4nted-yaml-${i}`] }));
}

function malformedJson(): CorpusCase[] {
  const texts = [
    "{", "}", "{\"apiVersion\": \"v1\",}", "{'apiVersion': 'v1'}", "{\"a\": 01}", "{\"a\": .5}", "{\"a\": NaN}",
    "{\"a\": Infinity}", "{\"a\": undefined}", "{\"a\" 1}", "{\"a\": [1, 2}", "[1, 2", "{\"a\": \"\\u12\"}",
    "{\"a\": \"line\nbreak\"}", "{a: 1}", "{\"a\": 1} {\"b\": 2}", "\"just a string", "{\"a\": tru}", "{\"a\": nul}", "{\"a\": 1e}",
  ];
  // kubectl reads a stream that is not JSON as YAML (YAMLOrJSONDecoder): these are YAML flow maps
  // without a kind.
  const readAsYaml = new Set([3, 4, 5, 6, 7, 8, 9, 14, 15, 16, 18, 19, 20]);
  return texts.map((t, i) => one(`malformed JSON #${i + 1}`, t, readAsYaml.has(i + 1) ? "required-fields" : "parse", { ext: "json" }));
}

function notObjects(): CorpusCase[] {
  const yaml = ["just a string\n", "42\n", "- a\n- b\n", "true\n", "[1, 2, 3]\n", "apiVersion: v1\nkind: List\nitems: [1, 2]\n", "apiVersion: v1\nkind: List\nitems: [\"x\"]\n"];
  const json = ["42", "\"text\"", "[1, 2]", "true", "[{\"apiVersion\": \"v1\"}]"];
  return [
    ...yaml.map((t, i) => one(`non-object YAML document #${i + 1}`, t, "parse")),
    ...json.map((t, i) => one(`non-object JSON document #${i + 1}`, t, "parse", { ext: "json" })),
  ];
}

function missingFields(): CorpusCase[] {
  const texts = [
    "kind: ConfigMap\nmetadata: {name: x}\n",
    "apiVersion: v1\nmetadata: {name: x}\n",
    "apiVersion: v1\nkind: ConfigMap\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\"}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 42}\n",
    "apiVersion: 1\nkind: ConfigMap\nmetadata: {name: x}\n",
    "apiVersion: v1\nkind: [ConfigMap]\nmetadata: {name: x}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: name\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: [name, x]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: null}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {a: b}}\n",
    "apiVersion: v1\nkind: List\nitems:\n  - kind: ConfigMap\n    metadata: {name: x}\n",
    "apiVersion: null\nkind: ConfigMap\nmetadata: {name: x}\n",
    "apiVersion: v1\nkind: null\nmetadata: {name: x}\n",
  ];
  return texts.map((t, i) => one(`missing or mistyped required field #${i + 1}`, t, "required-fields"));
}

function foreignNamespaces(): CorpusCase[] {
  const namespaces = ["default", "kube-system", "kube-public", "other-team", "corpus-2", "CORPUS", " corpus", "", "sealsync-system", "prod"];
  return namespaces.map((ns, i) => one(`foreign namespace ${JSON.stringify(ns)}`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ${JSON.stringify(ns)}\n`, "namespace"));
}

function clusterKinds(): CorpusCase[] {
  const kinds: [string, string][] = [
    ["v1", "Namespace"], ["v1", "PersistentVolume"], ["v1", "Node"],
    ["rbac.authorization.k8s.io/v1", "ClusterRole"], ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding"],
    ["apiextensions.k8s.io/v1", "CustomResourceDefinition"], ["storage.k8s.io/v1", "StorageClass"],
    ["storage.k8s.io/v1", "CSIDriver"], ["storage.k8s.io/v1", "VolumeAttachment"], ["scheduling.k8s.io/v1", "PriorityClass"],
    ["admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"], ["admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"],
    ["apiregistration.k8s.io/v1", "APIService"], ["networking.k8s.io/v1", "IngressClass"], ["node.k8s.io/v1", "RuntimeClass"],
  ];
  return kinds.map(([apiVersion, kind]) => one(`cluster-scoped ${kind}`, obj(kind, `x-${kind.toLowerCase()}`, "", apiVersion), "cluster-scoped"));
}

function unknownKinds(): CorpusCase[] {
  const kinds: [string, string][] = [
    ["v1", "ConfigMapp"], ["v1", "Secrets"], ["apps/v1", "Deploymnet"], ["apps/v2", "Deployment"], ["v2", "ConfigMap"],
    ["example.com/v1", "Widget"], ["bitnami.com/v1alpha1", "SealedSecret2"], ["batch/v1", "CronJobs"], ["", "ConfigMap"], ["v1/", "ConfigMap"],
  ];
  return kinds.map(([apiVersion, kind], i) => one(`unknown kind ${apiVersion}/${kind}`, obj(kind, `u-${i}`, "", JSON.stringify(apiVersion)), "unknown-kind"));
}

function duplicates(): CorpusCase[] {
  const cm = (name: string) => obj("ConfigMap", name, "data: {a: b}\n");
  return [
    { name: "duplicate across files", rule: "duplicate", planted: [], file: "b.yaml", files: { "a.yaml": cm("dup"), "b.yaml": cm("dup") } },
    { name: "duplicate in one file", rule: "duplicate", planted: [], file: "a.yaml", files: { "a.yaml": `${cm("dup")}---\n${cm("dup")}` } },
    { name: "duplicate in a List", rule: "duplicate", planted: [], file: "a.yaml", files: { "a.yaml": `apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: d}}\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: d}}\n` } },
    { name: "duplicate YAML and JSON", rule: "duplicate", planted: [], file: "b.json", files: { "a.yaml": cm("dup"), "b.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dup" } }) } },
    { name: "duplicate in subfolders", rule: "duplicate", planted: [], file: "y/a.yaml", files: { "x/a.yaml": cm("dup"), "y/a.yaml": cm("dup") } },
  ];
}

function reserved(): CorpusCase[] {
  return [
    one("the inventory Secret", obj("Secret", "sealsync", "stringData: {a: Pl4nted-reserved}\n"), "reserved", { planted: ["Pl4nted-reserved"] }),
    one("the inventory Secret in JSON", JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "sealsync" } }), "reserved", { ext: "json" }),
    one("the inventory Secret in a List", `apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Secret, metadata: {name: sealsync}}\n`, "reserved"),
  ];
}

function deepNesting(): CorpusCase[] {
  const n = 200_000;
  return [
    one("JSON arrays 200,000 deep", `${"[".repeat(n)}${"]".repeat(n)}`, "parse", { ext: "json" }),
    one("JSON objects 200,000 deep", `${"{\"a\":".repeat(n)}1${"}".repeat(n)}`, "parse", { ext: "json" }),
    one("flow YAML 200,000 deep", `a: ${"[".repeat(n)}${"]".repeat(n)}\n`, "parse"),
    one("flow YAML mappings 200,000 deep", `a: ${"{b: ".repeat(n)}1${"}".repeat(n)}\n`, "parse"),
    one("unclosed flow YAML 200,000 deep", `a: ${"[".repeat(n)}\n`, "parse"),
    one("JSON 600 deep inside a ConfigMap", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "deep" }, data: { a: "x" }, x: JSON.parse(`${"[".repeat(600)}${"]".repeat(600)}`) as unknown }), "parse", { ext: "json" }),
    one("block YAML 600 deep", `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx:\n${Array.from({ length: 600 }, (_, i) => `${" ".repeat(i + 1)}k:`).join("\n")} 1\n`, "parse"),
    one("a mapping 520 deep in a Deployment", `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: deep}\nspec: ${"{a: ".repeat(520)}1${"}".repeat(520)}\n`, "parse"),
  ];
}

function oddNumbers(): CorpusCase[] {
  // Not here: YAML 1e400 and 1e309, which kubectl (go-yaml v2) reads as the text "1e400" — JSON carries
  // that exactly, and the API server refuses it for a number (test/fixtures/kubectl-yaml/float-overflow.yaml).
  const yamlValues = [".inf", "-.inf", ".nan", "9007199254740993", "-9007199254740993", "18446744073709551616", "123456789012345678901234567890"];
  const jsonValues = ["1e400", "-1e400", "9007199254740993", "18446744073709551615", "1e999", "-123456789012345678901234567890"];
  return [
    ...yamlValues.map((v) => one(`YAML number ${v}`, `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: num}\nspec:\n  replicas: ${v}\n`, "parse")),
    ...jsonValues.map((v) => one(`JSON number ${v}`, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"x":{"y":[${v}]}}`, "parse", { ext: "json" })),
  ];
}

function aliasBombs(): CorpusCase[] {
  const lol = (levels: number, width: number) => {
    const lines = [`l0: &l0 "Pl4nted-lol"`];
    for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(", ")}]`);
    return `${lines.join("\n")}\n`;
  };
  return [
    one("billion laughs 9x9", lol(9, 9), "parse", { planted: ["Pl4nted-lol"] }),
    one("alias bomb 4x30", lol(4, 30), "parse", { planted: ["Pl4nted-lol"] }),
    one("alias bomb in a ConfigMap", `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n${lol(6, 10)}`, "parse", { planted: ["Pl4nted-lol"] }),
  ];
}

function leftovers(): CorpusCase[] {
  const enc = "ENC[AES256_GCM,data:Pl4ntedLeft0ver=,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]";
  const b64 = Buffer.from(enc).toString("base64");
  return [
    one("ENC[ in a ConfigMap value", obj("ConfigMap", "l1", `data:\n  a: ${enc}\n`), "still-encrypted"),
    one("ENC[ in an annotation", `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: l2\n  annotations:\n    x: ${enc}\n`, "still-encrypted"),
    one("ENC[ in a list", obj("ConfigMap", "l3", `x:\n  - a\n  - ${enc}\n`), "still-encrypted"),
    one("ENC[ in a Secret's base64 data", obj("Secret", "l4", `data:\n  a: ${b64}\n`), "still-encrypted"),
    one("ENC[ in a Secret's stringData", obj("Secret", "l5", `stringData:\n  a: ${enc}\n`), "still-encrypted"),
    one("ENC[ inside a longer string", obj("ConfigMap", "l6", `data:\n  a: "prefix ${enc} suffix"\n`), "still-encrypted"),
    one("ENC[ in JSON", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "l7" }, data: { a: enc } }), "still-encrypted", { ext: "json" }),
    one("a sops: key without its metadata", obj("Secret", "l8", "stringData: {a: b}\nsops: {version: 3.9.0}\n"), "still-encrypted"),
    one("a sops: key that is a string", obj("Secret", "l9", "stringData: {a: b}\nsops: leftover\n"), "still-encrypted"),
    one("a sops: key in JSON", JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "l10" }, sops: {} }), "still-encrypted", { ext: "json" }),
    one("ENC[ in a Deployment env", `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: l11}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n        - name: c\n          image: x\n          env:\n            - {name: P, value: "${enc}"}\n`, "still-encrypted"),
  ];
}

const ENC_LINE = /^(\s*\w+: )ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:(\w+)\]$/gm;

/** Flips one base64 character to another valid one. */
const flip = (s: string, at = 0) => s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);

async function tamperedSops(): Promise<CorpusCase[]> {
  const secret = stringify(plainSecret("sops-db"));
  const encrypted = Buffer.from(await encryptSopsFile(Buffer.from(secret), { format: "yaml", file: "bad.yaml", recipients: [RECIPIENT] })).toString();
  const jsonEnc = Buffer.from(await encryptSopsFile(Buffer.from(JSON.stringify(plainSecret("sops-json"))), { format: "json", file: "bad.json", recipients: [RECIPIENT] })).toString();
  const stranger = await generateAgeIdentity();
  const foreign = Buffer.from(await encryptSopsFile(Buffer.from(secret), { format: "yaml", file: "bad.yaml", recipients: [stranger.recipient] })).toString();
  const planted = SECRET_VALUES;
  const cases: CorpusCase[] = [];
  const add = (name: string, text: string, rule: ExpectedRule = "decrypt", ext = "yaml") => cases.push(one(`SOPS: ${name}`, text, rule, { planted, ext }));

  // Every field of every encrypted value, flipped at its start and its end.
  const lines = [...encrypted.matchAll(ENC_LINE)];
  for (const m of lines) {
    const key = (m[1] ?? "").trim().replace(/:$/, "");
    if (key === "mac") continue; // the MAC's own cases are below
    for (const [field, idx] of [["data", 2], ["iv", 3], ["tag", 4]] as const) {
      for (const at of [0, 5]) {
        const value = m[idx] as string;
        add(`${key}: ${field} flipped at ${at}`, encrypted.replace(m[0], m[0].replace(`${field}:${value}`, `${field}:${flip(value, at)}`)));
      }
    }
    add(`${key}: type changed`, encrypted.replace(m[0], m[0].replace(/type:\w+\]/, "type:int]")));
    add(`${key}: value replaced by plaintext`, encrypted.replace(m[0], `${m[1]}Pl4nted-plain-swap`));
    add(`${key}: value deleted`, encrypted.replace(`${m[0]}\n`, ""));
  }
  // Two values swapped (each stays valid ciphertext, bound to the other key's path).
  const [a, b] = lines;
  if (a && b) {
    const va = a[0].slice((a[1] ?? "").length), vb = b[0].slice((b[1] ?? "").length);
    add("two values swapped", encrypted.replace(a[0], `${a[1]}${vb}`).replace(b[0], `${b[1]}${va}`));
  }
  add("key renamed", encrypted.replace(/^(\s*)password:/m, "$1passw0rd:"));
  add("a plaintext key added", encrypted.replace(/^stringData:\n/m, "stringData:\n    extra: Pl4nted-extra\n"));
  add("MAC flipped", encrypted.replace(/mac: ENC\[AES256_GCM,data:(.)/, (_m, c: string) => `mac: ENC[AES256_GCM,data:${c === "A" ? "B" : "A"}`));
  add("MAC removed", encrypted.replace(/^\s*mac: .*\n/m, ""));
  add("MAC replaced by another file's", encrypted.replace(/mac: .*/, (jsonEnc.match(/"mac": "([^"]+)"/)?.[1] ?? "x").replace(/^/, "mac: ")));
  add("lastmodified changed", encrypted.replace(/lastmodified: .*/, "lastmodified: \"2001-01-01T00:00:00Z\""));
  add("age data key block garbled", encrypted.replace(/-----BEGIN AGE ENCRYPTED FILE-----\n\s*(\S)/, (s, c: string) => s.slice(0, -1) + (c === "Y" ? "Z" : "Y")));
  add("age stanza removed", encrypted.replace(/^\s*age:\n(\s+- .*\n(\s{8,}.*\n)*)+/m, "    age: []\n"));
  add("encrypted to another key (wrong key)", foreign);
  const jsonLines = [...jsonEnc.matchAll(/"(\w+)": "ENC\[AES256_GCM,data:([^,]+),/g)];
  for (const m of jsonLines) add(`JSON ${m[1]}: data flipped`, jsonEnc.replace(m[0], m[0].replace(`data:${m[2]}`, `data:${flip(m[2] as string)}`)), "decrypt", "json");
  add("JSON MAC removed", jsonEnc.replace(/"mac": "[^"]+",?/, ""), "decrypt", "json");
  add("JSON lastmodified changed", jsonEnc.replace(/"lastmodified": "[^"]+"/, "\"lastmodified\": \"2001-01-01T00:00:00Z\""), "decrypt", "json");
  return cases;
}

async function tamperedSealed(): Promise<CorpusCase[]> {
  const planted = SECRET_VALUES;
  const seal = (scope: "strict" | "namespace-wide" | "cluster-wide", ns = NAMESPACE, name = "sealed-db", cert = CERT) =>
    sealSecret({ ...plainSecret(name), metadata: { name, namespace: ns } }, cert, { scope, namespace: ns }) as unknown as Record<string, unknown> & { spec: { encryptedData: Record<string, string> }; metadata: Record<string, unknown> };
  const cases: CorpusCase[] = [];
  const add = (name: string, o: unknown, rule: ExpectedRule = "decrypt") => cases.push(one(`SealedSecret: ${name}`, stringify(o), rule, { planted }));
  const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
  const strict = seal("strict");
  for (const key of Object.keys(strict.spec.encryptedData)) {
    for (const at of [0, 100, 400, 600]) {
      const t = clone(strict);
      const v = t.spec.encryptedData[key] as string;
      t.spec.encryptedData[key] = flip(v, Math.min(at, v.length - 3));
      add(`${key} flipped at ${at}`, t);
    }
    const truncated = clone(strict);
    truncated.spec.encryptedData[key] = (truncated.spec.encryptedData[key] as string).slice(0, 300);
    add(`${key} truncated`, truncated);
    const notB64 = clone(strict);
    notB64.spec.encryptedData[key] = "!!!not base64!!!";
    add(`${key} not base64`, notB64);
    const empty = clone(strict);
    empty.spec.encryptedData[key] = "";
    add(`${key} empty`, empty);
  }
  // (Items swapped between keys of one SealedSecret unseal, as with the controller: the label binds namespace/name only.)
  const pasted = clone(strict);
  const donor = seal("strict", NAMESPACE, "another-secret");
  pasted.spec.encryptedData.password = donor.spec.encryptedData.password as string;
  add("an item pasted from another SealedSecret", pasted);
  const renamed = clone(strict);
  renamed.metadata.name = "other-name";
  add("strict: renamed (moved)", renamed);
  const widened = clone(strict);
  widened.metadata.annotations = { "sealedsecrets.bitnami.com/cluster-wide": "true" };
  add("strict: scope annotation changed to cluster-wide", widened);
  const nsWide = seal("namespace-wide", "other-team");
  const movedNs = clone(nsWide);
  movedNs.metadata.namespace = NAMESPACE;
  add("namespace-wide for another namespace, moved here", movedNs);
  add("sealed for another namespace, left there", seal("strict", "other-team"), "namespace");
  const noNs = clone(seal("strict", "other-team"));
  delete noNs.metadata.namespace;
  add("sealed for another namespace, namespace removed", noNs);
  const templated = clone(strict);
  (templated.spec as Record<string, unknown>).template = { data: { extra: "{{ index . \"password\" }}" } };
  add("template data (not rendered by sealsync)", templated);
  const other = await generateSealingKeyPair({ bits: 2048 });
  add("sealed to another controller's key (wrong key)", seal("strict", NAMESPACE, "sealed-db", other.certPem));
  const noData = clone(strict);
  noData.spec.encryptedData = {};
  (noData.spec as Record<string, unknown>).encryptedData = "not a map";
  add("encryptedData not a map", noData);
  return cases;
}

function sourceCases(): CorpusCase[] {
  const big = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: "${"x".repeat(MAX_FILE_BYTES + 1)}"\n`;
  return [
    { name: "a manifest over --max-file-size", rule: "source", planted: [], file: "big.yaml", files: { "good.yaml": GOOD, "big.yaml": big } },
    { name: "two manifests over --max-file-size", rule: "source", planted: [], file: "big1.yaml", files: { "big1.yaml": big, "big2.json": big } },
    { name: "an oversize manifest in a subfolder", rule: "source", planted: [], file: "deep/er/big.yaml", files: { "good.yaml": GOOD, "deep/er/big.yaml": big } },
    { name: "--path through a symlinked folder", rule: "source", planted: [], path: "link/app", file: "link", files: { "real/app/cm.yaml": GOOD, link: { symlink: "real" } } },
    { name: "--path that is a symlink", rule: "source", planted: [], path: "app", file: "app", files: { "real/cm.yaml": GOOD, app: { symlink: "real" } } },
    { name: "--path escaping with ..", rule: "source", planted: [], path: "../etc", file: "..", files: { "good.yaml": GOOD } },
    { name: "a symlinked manifest to a secret outside", rule: "symlink-ignored", planted: ["Pl4nted-outside"], file: "leak.yaml", files: { "good.yaml": GOOD, "leak.yaml": { symlink: "/proc/self/environ" } } },
    { name: "a symlinked manifest inside the tree", rule: "symlink-ignored", planted: [], file: "alias.yaml", files: { "good.yaml": GOOD, "alias.yaml": { symlink: "good.yaml" } } },
  ];
}

export async function corpusCases(): Promise<CorpusCase[]> {
  return [
    ...malformedYaml(), ...malformedJson(), ...notObjects(), ...missingFields(), ...foreignNamespaces(), ...clusterKinds(),
    ...unknownKinds(), ...duplicates(), ...reserved(), ...deepNesting(), ...oddNumbers(), ...aliasBombs(), ...leftovers(),
    ...(await tamperedSops()), ...(await tamperedSealed()), ...sourceCases(),
  ];
}
