/**
 * keys-example/ and manifests-example/ work together: every encrypted document of the example decrypts
 * with the demo keys (with sealsync's libraries, and with the real sops and kubeseal), `seal check`
 * passes, each environment goes through sealsync's own pipeline against the real API server with exactly
 * the deploy/ Role, and the app's pods pass the restricted Pod Security Standard.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { Keyring } from "../../src/crypto/keyring.js";
import { isSealedSecret, unsealSealedSecret } from "../../src/crypto/sealed/index.js";
import { decryptSopsDocuments, isSopsDocument } from "../../src/crypto/sops/index.js";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { decryptorsFor } from "../../src/reconcile/decryptors.js";
import { reconcile } from "../../src/reconcile/sync.js";
import { DirSource } from "../../src/source/dir.js";
import { repoRoot, testAssets } from "../env/assets.js";
import { createDeployRoleUser } from "../env/deploy-role.js";
import { createNamespace } from "../env/kube.js";
import { run, runAsync } from "../env/run.js";
import { kubectl, only, parseObjects, podFromTemplate } from "../deploy/helpers.js";

const EXAMPLE = path.join(repoRoot, "manifests-example");
const KEYS = path.join(repoRoot, "keys-example");
/** Where each environment's sidecar runs: its SealedSecret is sealed (strict scope) for that namespace. */
const ENVIRONMENTS = { production: "sealsync-demo", staging: "sealsync-demo-staging" } as const;
type Env = keyof typeof ENVIRONMENTS;

let tmp: string;
let keyring: Keyring;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "sealsync-examples-"));
  // The daemon's own key loader, pointed at the folder as `--keys keys-example` would.
  keyring = await Keyring.open({ dirs: [KEYS], watch: false, resyncIntervalMs: 0 });
});

afterAll(async () => {
  await keyring.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Manifest files of the example, relative to it (dot-files such as .sops.yaml are configuration). */
function manifestFiles(dir = ""): string[] {
  return readdirSync(path.join(EXAMPLE, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.name.startsWith(".")) return [];
    if (e.isDirectory()) return manifestFiles(rel);
    return /\.ya?ml$/.test(e.name) ? [rel] : [];
  }).sort();
}

const documents = (file: string) =>
  parseAllDocuments(readFileSync(path.join(EXAMPLE, file), "utf8")).map((d) => d.toJS() as Record<string, unknown>);
const envOf = (file: string) => file.split("/")[0] as Env;
const text = (base64: string) => Buffer.from(base64, "base64").toString("utf8");

describe("keys-example/", () => {
  test("holds one age identity and one RSA key, which .sops.yaml, age.recipient and key-secret.yaml all agree on", () => {
    expect(keyring.keys().map((k) => [k.kind, path.basename(k.source)])).toEqual([["age", "age.agekey"], ["rsa", "tls.key"]]);
    const recipient = keyring.keys().find((k) => k.kind === "age")!.id;
    expect(readFileSync(path.join(KEYS, "age.recipient"), "utf8")).toBe(`${recipient}\n`);
    const rules = (parse(readFileSync(path.join(EXAMPLE, ".sops.yaml"), "utf8")) as { creation_rules: { age: string }[] }).creation_rules;
    expect(rules.map((r) => r.age)).toEqual([recipient, recipient, recipient, recipient]);

    const [secret] = parseObjects(readFileSync(path.join(KEYS, "key-secret.yaml"), "utf8")) as (ReturnType<typeof parseObjects>[number] & { data: Record<string, string> })[];
    expect(secret!.metadata).toMatchObject({ name: "sealsync-keys", namespace: "sealsync-demo", labels: { "sealsync.dev/key": "active" } });
    for (const file of ["age.agekey", "tls.key", "tls.crt"]) {
      expect([file, text(secret!.data[file]!)]).toEqual([file, readFileSync(path.join(KEYS, file), "utf8")]);
    }
    // Deploy mounts exactly this Secret.
    expect(readFileSync(path.join(repoRoot, "deploy/deployment.yaml"), "utf8")).toContain(`secretName: ${secret!.metadata.name}`);
  });

  test("its README says first that these are public demo keys, never for real use", () => {
    const first = readFileSync(path.join(KEYS, "README.md"), "utf8").split("\n")[0]!;
    expect(first).toMatch(/PUBLIC DEMO KEYS/);
    expect(first).toMatch(/never use them for anything real/);
  });
});

describe("manifests-example/", () => {
  test("every encrypted document decrypts with keys-example, and no Secret is in plaintext", async () => {
    const age = [...keyring.ageIdentities()];
    const rsa = keyring.rsaKeys();
    const opened: string[] = [];
    for (const file of manifestFiles()) {
      const env = envOf(file);
      const docs = documents(file);
      if (docs.some(isSopsDocument)) {
        // One data key and one MAC per file: decrypt all its documents together.
        const { objects } = await decryptSopsDocuments(docs, age, { file });
        for (const o of objects) {
          const stringData = o.stringData as Record<string, string>;
          expect([file, o.kind, Object.keys(stringData).sort()]).toEqual([file, "Secret", ["password", "username"]]);
          expect(stringData.username).toBe(`podinfo-${env}`);
          expect(stringData.password).toMatch(new RegExp(`^demo-${env}-`));
          opened.push(`${file} sops Secret/${(o.metadata as { name: string }).name}`);
        }
        continue;
      }
      docs.forEach((doc, index) => {
        if (isSealedSecret(doc)) {
          const { object } = unsealSealedSecret(doc, rsa, { file, index });
          expect(object.metadata.namespace).toBe(ENVIRONMENTS[env]);
          expect(Object.keys(object.data ?? {})).toEqual(["token"]);
          expect(text(object.data!.token!)).toMatch(new RegExp(`^demo-${env}-`));
          opened.push(`${file} sealed Secret/${object.metadata.name}`);
        } else {
          expect([file, doc.kind]).not.toEqual([file, "Secret"]);
        }
      });
    }
    expect(opened).toEqual([
      "production/podinfo-api-token.sealed.yaml sealed Secret/podinfo-api-token",
      "production/podinfo-db.sops.yaml sops Secret/podinfo-db",
      "staging/podinfo-api-token.sealed.yaml sealed Secret/podinfo-api-token",
      "staging/podinfo-db.sops.yaml sops Secret/podinfo-db",
    ]);
  });

  test("the real sops and kubeseal open them with the same key files", () => {
    const { sops, kubeseal } = testAssets();
    for (const file of manifestFiles().filter((f) => f.endsWith(".sops.yaml"))) {
      const res = run(sops, ["--decrypt", path.join(EXAMPLE, file)], { env: { SOPS_AGE_KEY_FILE: path.join(KEYS, "age.agekey") } });
      expect([file, res.exitCode, res.stderr]).toEqual([file, 0, ""]);
      expect(parse(res.stdout)).toMatchObject({ kind: "Secret", stringData: { username: `podinfo-${envOf(file)}` } });
    }
    for (const file of manifestFiles().filter((f) => f.endsWith(".sealed.yaml"))) {
      const res = run(kubeseal, ["--recovery-unseal", "--recovery-private-key", path.join(KEYS, "tls.key"), "-o", "yaml"],
        { input: readFileSync(path.join(EXAMPLE, file)) });
      expect([file, res.exitCode, res.stderr]).toEqual([file, 0, ""]);
      const secret = parse(res.stdout) as { metadata: { namespace: string }; data: { token: string } };
      expect(secret.metadata.namespace).toBe(ENVIRONMENTS[envOf(file)]);
      expect(text(secret.data.token)).toMatch(new RegExp(`^demo-${envOf(file)}-`));
    }
  });

  test("`seal check manifests-example` passes, and verifies every MAC given the demo key", async () => {
    // A fresh HOME: no default sops key file, so the first run sees what a developer without the key sees.
    const env = { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, ".config"), SOPS_AGE_KEY: "", SOPS_AGE_KEY_FILE: "" };
    const seal = (args: string[]) => runAsync("node", ["dist/cli/seal.js", ...args], { cwd: repoRoot, env });
    const files = manifestFiles().length + 3; // and .sops.yaml and the two SOPS .env files of the generators
    expect(await seal(["check", "manifests-example"])).toEqual({
      exitCode: 0, stdout: "", stderr: `seal check: ${files} files checked, no plaintext secrets; MAC verified for 0 of 4 encrypted\n`,
    });
    expect(await seal(["check", "--key", "keys-example/age.agekey", "manifests-example"])).toEqual({
      exitCode: 0, stdout: "", stderr: `seal check: ${files} files checked, no plaintext secrets; MAC verified for 4 of 4 encrypted\n`,
    });
  });

  test.each(Object.keys(ENVIRONMENTS) as Env[])("%s passes sealsync's own pipeline against the API server with exactly the deploy/ Role (dry-run)",
    async (env) => {
      const namespace = ENVIRONMENTS[env];
      const created = await kubectl(tmp, ["create", "namespace", namespace]);
      expect([0, created.stderr.includes("AlreadyExists") ? 0 : created.exitCode]).toEqual([0, 0]);
      const user = await createDeployRoleUser(namespace, `examples-${randomBytes(3).toString("hex")}`);
      const client = new KubeClient(loadKubeConfig(user.kubeconfig));
      try {
        // Each environment is a kustomize overlay of ../base, built by the real kustomize.
        const revision = await new DirSource({ dir: EXAMPLE, path: env }).fetch();
        const result = await reconcile(revision, {
          client, discovery: new Discovery(client), namespace, decryptors: decryptorsFor(keyring, namespace), dryRun: true,
          kustomize: { command: testAssets().kustomize, dataDir: tmp },
        });
        expect(result.failed).toBe(false);
        expect(result.plan.map((p) => `${p.action} ${p.kind}/${p.name} ${p.decryption?.format ?? "plain"}`).sort()).toEqual([
          "create ConfigMap/podinfo-config plain",
          "create Deployment/podinfo plain",
          "create Secret/podinfo-api-token sealed",
          "create Secret/podinfo-db sops",
          expect.stringMatching(/^create Secret\/podinfo-env-[a-z0-9]{10} sops$/),
          "create Service/podinfo plain",
        ]);
        const deployment = result.desired.find((d) => d.object.kind === "Deployment")?.object as { spec: { replicas: number } } | undefined;
        expect(deployment?.spec.replicas).toBe(env === "production" ? 2 : 1);
        expect(client.writes).toBe(0); // a plan: only dry-run writes
      } finally {
        client.close();
      }
    });

  test("the app's pods pass the restricted Pod Security Standard in both environments", async () => {
    const namespace = await createNamespace("examples-pss");
    const label = await kubectl(tmp, ["label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted"]);
    expect(label.exitCode).toBe(0);
    for (const env of Object.keys(ENVIRONMENTS) as Env[]) {
      const deployment = only(parseObjects(readFileSync(path.join(EXAMPLE, "base", "deployment.yaml"), "utf8")), "Deployment");
      const pod = podFromTemplate(deployment, `podinfo-${env}`, namespace);
      expect(await kubectl(tmp, ["create", "--dry-run=server", "-o", "name", "-f", "-"], stringify(pod)))
        .toEqual({ exitCode: 0, stdout: `pod/podinfo-${env}\n`, stderr: "" });
    }
  });
});
