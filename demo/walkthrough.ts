/**
 * The demo itself: a real control plane and Git server, manifests-example/ in a repo, keys-example/ in
 * the cluster, and the built `sealsync run` against them with the deploy/ Role's rights; then what it
 * does, step by step, each step checked against the API server and the audit log. Nothing is simulated.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { KubeClient, loadKubeConfig, type KubeObject } from "../src/kube/client.js";
import { repoRoot, testAssets } from "../test/env/assets.js";
import { startControlPlane, type ControlPlane } from "../test/env/control-plane.js";
import { createDeployRoleUser } from "../test/env/deploy-role.js";
import { startGitServer, type GitServer } from "../test/env/git-server.js";
import { AppRepo } from "./app-repo.js";
import type { Cleanup } from "./cleanup.js";
import { kubectl, sealEncrypt, sealsync } from "./commands.js";
import { csvPreview } from "./csv-preview.js";
import { seconds, type Narrator } from "./narrator.js";
import { Sidecar, type AuditLine } from "./sidecar.js";

export const NAMESPACE = "sealsync-demo";
const STEPS = 7;
/** How often the demo's sidecar polls Git (60 s by default; a webhook makes it immediate). */
const INTERVAL = "2s";

/** What stays up after the walk-through, for --keep. */
export interface DemoState {
  controlPlane: ControlPlane;
  git: GitServer;
  repo: AppRepo;
  sidecar: Sidecar;
  sidecarUrl: string;
  workDir: string;
}

const short = (sha: string) => sha.slice(0, 7);
const subject = (e: AuditLine) => `${e.kind}/${e.name}`;

export async function walkthrough(say: Narrator, cleanup: Cleanup): Promise<DemoState> {
  const started = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-demo-"));
  cleanup.add("remove the demo's work folder", () => rmSync(workDir, { recursive: true, force: true, maxRetries: 5 }));
  // Every temp folder from here on (the control plane's, the Git server's, kubectl's, the children's)
  // lands inside the work folder, so removing it leaves nothing behind, however the demo ends.
  process.env.TMPDIR = workDir;

  // 1. The cluster and the Git host.
  say.step(1, STEPS, "Start a local Kubernetes control plane and a Git server");
  const { controlPlane, git } = await say.spin("Starting etcd, kube-apiserver and a Git server", () => startServers(cleanup));
  const admin = new KubeClient(loadKubeConfig(controlPlane.adminKubeconfig));
  cleanup.add("close the admin client", () => admin.close());
  const version = (await admin.request<{ gitVersion: string }>("GET", "/version")).body.gitVersion;
  say.ok(`kube-apiserver ${version} and etcd on ${controlPlane.server} (${seconds(Date.now() - started)})`);
  say.ok(`Git server (git http-backend, basic auth) on ${git.url}`);

  // 2. What a cluster admin and a developer set up before the sidecar runs.
  await say.pause();
  say.step(2, STEPS, "Set up the namespace, the keys, the sidecar's rights and the Git repo");
  await admin.request("POST", "/api/v1/namespaces", { body: yamlFile("deploy/namespace.yaml") });
  say.ok(`Namespace ${NAMESPACE} from deploy/namespace.yaml (Pod Security "restricted" enforced)`);
  await admin.request("POST", `/api/v1/namespaces/${NAMESPACE}/secrets`, { body: yamlFile("keys-example/key-secret.yaml") });
  say.ok("Secret sealsync-keys from keys-example/key-secret.yaml: the PUBLIC demo age key and RSA sealing key");
  const user = await createDeployRoleUser(NAMESPACE, "sealsync", controlPlane);
  say.ok("ServiceAccount sealsync bound to the Role in deploy/role.yaml: sealsync gets exactly those rights, in this namespace only");
  const { repo, sha: first } = await AppRepo.create(git, "podinfo", path.join(repoRoot, "manifests-example"), path.join(workDir, "podinfo"),
    "podinfo: production and staging");
  say.ok(`Pushed manifests-example/ to ${repo.url} (commit ${short(first)})`);
  say.say("production/ is a kustomize overlay of base/. Git holds ciphertext only: production/podinfo-db.sops.yaml");
  say.say("(SOPS + age), production/podinfo.sops.env (SOPS dotenv, fed to a secretGenerator) and");
  say.say("production/podinfo-api-token.sealed.yaml (a SealedSecret for this namespace).");

  // 3. The sidecar and its first sync.
  await say.pause();
  say.step(3, STEPS, "Start the sidecar (the real `sealsync run`) and watch its first sync");
  const dataDir = path.join(workDir, "data");
  const passwordFile = path.join(workDir, "git-password");
  writeFileSync(passwordFile, git.password, { mode: 0o600 });
  const hmacKeyFile = path.join(workDir, "audit-hmac.key");
  writeFileSync(hmacKeyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
  const args = ["run", "--repo", repo.url, "--allow-insecure-http", "--ref", "main", "--path", "production", "--namespace", NAMESPACE,
    "--kubeconfig", user.kubeconfig, "--keys-from-secrets", "--data-dir", dataDir, "--interval", INTERVAL,
    "--git-username", git.username, "--git-password-file", passwordFile, "--audit-hmac-key-file", hmacKeyFile,
    "--listen", "127.0.0.1:0", "--kustomize-command", testAssets().kustomize];
  say.command(`sealsync run --repo ${repo.url} --path production --namespace ${NAMESPACE} --keys-from-secrets --interval ${INTERVAL} …`);
  const sidecarStarted = Date.now();
  const { sidecar, url: sidecarUrl } = await Sidecar.start({ args, logFile: path.join(workDir, "sealsync.log"), auditLog: path.join(dataDir, "audit", "audit.jsonl") });
  cleanup.add("stop sealsync", () => sidecar.stop());
  say.ok(`sealsync is running (pid ${sidecar.child.pid}) as ServiceAccount sealsync; /healthz, /readyz and /metrics on ${sidecarUrl}`);
  const sync1 = await syncOf(sidecar, first, "the first sync");
  say.ok(`Applied commit ${short(first)} ${seconds(Date.parse(sync1.finished.ts) - sidecarStarted)} after start:`);
  for (const e of sync1.changes) say.say(`    ${subject(e).padEnd(28)} ${verb(e.action)}${secretNote(e, sync1.decrypted)}`);
  for (const e of sync1.changes.filter((c) => c.kind === "Secret")) {
    const keys = Object.keys(await dataOf(admin, "Secret", String(e.name))).sort();
    say.ok(`Secret/${e.name} is in the cluster with keys ${keys.join(", ")} (values hidden)`);
  }
  const ready = await fetch(`${sidecarUrl}/readyz`);
  say.ok(`GET /readyz → ${ready.status}: the sidecar serves (readiness never depends on Git)`);

  // 4. A developer's commit: a rotated password (re-encrypted with seal, through a pipe) and new settings.
  await say.pause();
  say.step(4, STEPS, "A new commit: rotate the database password and change the greeting");
  const password = randomBytes(18).toString("base64url");
  const greeting = "Hello again — changed by a Git commit";
  const dbFile = "production/podinfo-db.sops.yaml";
  const encrypted = await sealEncrypt(repo.workdir, dbFile, dbSecret(password));
  say.command(`seal encrypt --filename ${dbFile} - > ${dbFile}    # the new password comes through a pipe`);
  const configFile = "production/configmap.yaml";
  const config = readFileSync(path.join(repo.workdir, configFile), "utf8").replace(/PODINFO_UI_MESSAGE: .*/, `PODINFO_UI_MESSAGE: "${greeting}"`);
  say.command(`$EDITOR ${configFile}    # PODINFO_UI_MESSAGE: "${greeting}"`);
  const second = await repo.change({ [dbFile]: encrypted, [configFile]: config }, "Rotate the database password; new greeting");
  const pushed2 = Date.now();
  say.command(`git commit -am "Rotate the database password; new greeting" && git push    # ${short(second)}`);
  const sync2 = await syncOf(sidecar, second, `commit ${short(second)} to be applied`);
  say.ok(`Applied ${seconds(Date.parse(sync2.finished.ts) - pushed2)} after the push (sealsync polls Git every ${INTERVAL} here):`);
  for (const e of sync2.changes) say.say(`    ${subject(e).padEnd(28)} ${verb(e.action)}${secretNote(e, sync2.decrypted)}`);
  const live = Buffer.from((await dataOf(admin, "Secret", "podinfo-db")).password ?? "", "base64");
  if (live.length !== Buffer.byteLength(password) || !timingSafeEqual(live, Buffer.from(password))) {
    throw new Error("Secret/podinfo-db in the cluster does not hold the rotated password");
  }
  say.ok("Secret/podinfo-db holds the new password (compared in memory, never shown)");
  const settings = await dataOf(admin, "ConfigMap", "podinfo-config");
  say.ok(`ConfigMap/podinfo-config: PODINFO_UI_MESSAGE is now "${settings.PODINFO_UI_MESSAGE}"`);

  // 5. Someone changes the live object by hand: kubectl edit, for real (KUBE_EDITOR does the typing).
  await say.pause();
  say.step(5, STEPS, "Someone edits the live ConfigMap by hand: self-heal puts Git's value back");
  const color = settings.PODINFO_UI_COLOR ?? "";
  const seqBefore = sidecar.audit().at(-1)?.seq ?? 0;
  say.command(`kubectl -n ${NAMESPACE} edit configmap podinfo-config    # PODINFO_UI_COLOR: "${color}" → "#ff0000"`);
  const editOutput = await kubectl(workDir, controlPlane.adminKubeconfig, ["-n", NAMESPACE, "edit", "configmap", "podinfo-config"],
    { KUBE_EDITOR: `sed -i s/${color}/#ff0000/` });
  const editedAt = Date.now();
  say.quote(editOutput.split("\n"));
  const drift = await sidecar.waitFor("the edit to be reverted", () =>
    sidecar.audit().find((e) => e.seq > seqBefore && e.action === "drift-corrected" && e.name === "podinfo-config"));
  const healed = await dataOf(admin, "ConfigMap", "podinfo-config");
  // The correction can land before kubectl has even exited: never print a negative time.
  say.ok(`sealsync saw the change by ${drift.fieldManager ?? "someone"} and re-applied Git's version ${seconds(Math.max(0, Date.parse(drift.ts) - editedAt))} later:`);
  say.say(`  PODINFO_UI_COLOR is "${healed.PODINFO_UI_COLOR}" again; the audit log says drift-corrected`);
  const event = await sidecar.waitFor("the DriftCorrected event", async () =>
    (await admin.request<{ items: { reason?: string; message?: string }[] }>("GET", `/api/v1/namespaces/${NAMESPACE}/events`))
      .body.items.find((e) => e.reason === "DriftCorrected"), 15_000);
  say.ok(`Kubernetes Event DriftCorrected (kubectl get events): "${event.message}"`);

  // 6. A file leaves Git: what sealsync applied (its ApplySet inventory) is pruned; nothing else is touched.
  await say.pause();
  say.step(6, STEPS, "A file is removed from Git: its object is pruned");
  const kustomization = readFileSync(path.join(repo.workdir, "base/kustomization.yaml"), "utf8").replace(/^ {2}- service\.yaml\n/m, "");
  const third = await repo.change({ "base/service.yaml": null, "base/kustomization.yaml": kustomization }, "Remove the Service");
  const pushed3 = Date.now();
  say.command(`git rm base/service.yaml && $EDITOR base/kustomization.yaml && git commit -am "Remove the Service" && git push    # ${short(third)}`);
  const sync3 = await syncOf(sidecar, third, `commit ${short(third)} to be applied`);
  const pruned = sync3.changes.filter((e) => e.action === "object-pruned");
  if (!pruned.some((e) => e.kind === "Service" && e.name === "podinfo") || await getObject(admin, "Service", "podinfo")) {
    throw new Error("Service/podinfo was not pruned after base/service.yaml left Git");
  }
  say.ok(`Service/podinfo deleted ${seconds(Date.parse(sync3.finished.ts) - pushed3)} after the push`);
  if (!await getObject(admin, "Secret", "sealsync-keys")) throw new Error("Secret/sealsync-keys, which sealsync never managed, is gone");
  say.ok("Secret sealsync-keys is still there: only what sealsync applied (its ApplySet inventory) is ever pruned");

  // 7. The audit log: every action above, hash-chained and signed; export it and check it.
  await say.pause();
  say.step(7, STEPS, "The audit log: export it, verify it, and see tampering caught");
  const actions = "object-created,object-configured,object-pruned,drift-corrected";
  say.command(`sealsync audit export --format csv --action ${actions} --log ${sidecar.auditLog}`);
  const csv = await sealsync(["audit", "export", "--format", "csv", "--action", actions, "--log", sidecar.auditLog]);
  say.quote(csvPreview(csv.stdout));
  say.command(`sealsync audit verify --log ${sidecar.auditLog} --hmac-key-file audit-hmac.key`);
  const verified = await sealsync(["audit", "verify", "--log", sidecar.auditLog, "--hmac-key-file", hmacKeyFile]);
  if (verified.code !== 0) throw new Error(`sealsync audit verify failed (exit ${verified.code}): ${verified.stdout}${verified.stderr}`);
  say.quote(verified.stdout.trim().split("\n"));
  const forged = path.join(workDir, "audit-forged.jsonl");
  const original = readFileSync(sidecar.auditLog, "utf8");
  const edited = original.replace('"name":"podinfo-db"', '"name":"something-else"');
  if (edited === original) throw new Error(`no entry naming podinfo-db in ${sidecar.auditLog} to edit`);
  writeFileSync(forged, edited);
  say.command("sealsync audit verify … on a copy where one entry names another Secret");
  const caught = await sealsync(["audit", "verify", "--log", forged, "--hmac-key-file", hmacKeyFile]);
  if (caught.code !== 1) throw new Error(`sealsync audit verify accepted an edited log (exit ${caught.code})`);
  say.quote(`${caught.stdout}${caught.stderr}`.trim().split("\n").map((l) => l.replace(workDir, "…")));

  say.say();
  say.title(`Done in ${seconds(Date.now() - started)}: Git → decrypted in memory → applied, kept in sync, self-healed, pruned and audited.`);
  return { controlPlane, git, repo, sidecar, sidecarUrl, workDir };
}

/**
 * The control plane and the Git server side by side, each stopped at cleanup once it is up. A Ctrl-C
 * while they start does not wait for them: on exit test/env/processes.ts kills etcd and kube-apiserver
 * (SIGKILL), and their folder is inside the work folder (TMPDIR), removed last.
 */
async function startServers(cleanup: Cleanup): Promise<{ controlPlane: ControlPlane; git: GitServer }> {
  const started: { controlPlane?: ControlPlane; git?: GitServer } = {};
  cleanup.add("stop kube-apiserver and etcd", () => started.controlPlane?.stop());
  cleanup.add("stop the Git server", () => started.git?.stop());
  const [cp, git] = await Promise.allSettled([
    startControlPlane().then((c) => (started.controlPlane = c)),
    startGitServer().then((g) => (started.git = g)),
  ]);
  if (cp.status === "rejected") throw new Error(`the control plane did not start: ${(cp.reason as Error).message}`);
  if (git.status === "rejected") throw new Error(`the Git server did not start: ${(git.reason as Error).message}`);
  return { controlPlane: cp.value, git: git.value };
}

interface SyncRecord {
  finished: AuditLine;
  changes: AuditLine[];
  decrypted: AuditLine[];
}

/**
 * Waits for the sync of `revision` to finish and returns its audit entries (changes and decryptions).
 * A failed sync since the step began ends the wait at once: a fetch failure names no revision yet.
 */
async function syncOf(sidecar: Sidecar, revision: string, what: string): Promise<SyncRecord> {
  const since = sidecar.audit().at(-1)?.seq ?? 0;
  const finished = await sidecar.waitFor(what, () => {
    const entries = sidecar.audit();
    const failed = entries.find((e) => e.seq > since && e.action === "sync-failed");
    if (failed) throw new Error(`sealsync could not apply ${short(revision)}: ${failed.reason}: ${failed.message ?? "(no message)"}`);
    return entries.find((e) => e.action === "sync-finished" && e.revision === revision);
  });
  const mine = sidecar.audit().filter((e) => e.revision === revision && e.seq < finished.seq);
  return {
    finished,
    changes: mine.filter((e) => ["object-created", "object-configured", "object-pruned"].includes(e.action)),
    decrypted: mine.filter((e) => e.action === "decrypted"),
  };
}

function verb(action: string): string {
  return action.replace(/^object-/, "");
}

/** "decrypted in memory (SOPS + age), value hidden" for a Secret sealsync decrypted in this sync. */
function secretNote(change: AuditLine, decrypted: AuditLine[]): string {
  const d = decrypted.find((e) => e.kind === change.kind && e.name === change.name);
  if (!d) return "";
  return `    decrypted in memory (${d.format === "sops" ? "SOPS + age" : "SealedSecret"}, key ${abbreviate(String(d.keyId))}), value hidden`;
}

/** age1fltz6yam…j4gcc, SHA256:x6gAB…/624: a public key id, shortened for reading. */
function abbreviate(id: string): string {
  return id.length > 24 ? `${id.slice(0, 12)}…${id.slice(-5)}` : id;
}

function yamlFile(rel: string): KubeObject {
  return parse(readFileSync(path.join(repoRoot, rel), "utf8")) as KubeObject;
}

const RESOURCES = { Secret: "secrets", ConfigMap: "configmaps", Service: "services" } as const;

/** The data of a ConfigMap or Secret (base64 values) of the demo namespace, as the admin sees it. */
async function dataOf(admin: KubeClient, kind: "ConfigMap" | "Secret", name: string): Promise<Record<string, string>> {
  const object = await getObject(admin, kind, name);
  if (!object) throw new Error(`${kind}/${name} is not in namespace ${NAMESPACE}`);
  return (object.data ?? {}) as Record<string, string>;
}

/** An object of the demo namespace as the admin sees it, or undefined when it does not exist. */
async function getObject(admin: KubeClient, kind: keyof typeof RESOURCES, name: string): Promise<KubeObject | undefined> {
  const res = await admin.request<KubeObject>("GET", `/api/v1/namespaces/${NAMESPACE}/${RESOURCES[kind]}/${name}`, { allow: [404] });
  return res.status === 404 ? undefined : res.body;
}

/** The production DB Secret as a developer writes it before encrypting; it only ever goes through a pipe. */
function dbSecret(password: string): string {
  return `# Database credentials, encrypted with SOPS to the age recipients of .sops.yaml.
apiVersion: v1
kind: Secret
metadata:
  name: podinfo-db
  labels:
    app.kubernetes.io/name: podinfo
    app.kubernetes.io/part-of: sealsync-demo
type: Opaque
stringData:
  username: podinfo-production
  password: ${password}
`;
}
