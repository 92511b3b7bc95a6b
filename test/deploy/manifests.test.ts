/**
 * deploy/ against the real kube-apiserver: every object it renders is accepted by a server-side dry-run in
 * a namespace enforcing the "restricted" Pod Security Standard, and — since Pod Security Admission only
 * judges Pods — a Pod made from the Deployment's template is admitted there, while the same Pod with one
 * restriction lifted is refused by the real admission plugin.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { repoRoot } from "../env/assets.js";
import { runAsync } from "../env/run.js";
import { DEPLOY_DIR, kubectl, kustomize, only, podFromTemplate, writeNamespaceOverlay, type K8sObject } from "./helpers.js";

interface Probe { httpGet?: { path: string; port: string | number } }
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContext & { fsGroup?: number };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number }; emptyDir?: object }[];
}
type Deployment = K8sObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

/** The `sealsync run` flags agreed with the daemon (each also SEALSYNC_<FLAG>); deploy/ may use no other. */
const RUN_FLAGS = new Set(["--repo", "--ref", "--path", "--keys", "--keys-from-secrets", "--data-dir", "--git-username",
  "--git-password-file", "--interval", "--webhook-secret-file", "--listen", "--leader-election", "--audit-log", "--log-level", "--key-secret"]);

const RESTRICTED = 'violates PodSecurity "restricted:latest"';

let tmp: string;
let namespace: string;
let objects: K8sObject[];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "sealsync-deploy-"));
  namespace = `deploy-${randomBytes(4).toString("hex")}`;
  objects = await kustomize(writeNamespaceOverlay(tmp, namespace));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sidecarOf = (objs: K8sObject[]): Container =>
  only<Deployment>(objs, "Deployment").spec.template.spec.containers.find((c) => c.name === "sealsync")!;

describe("kubectl kustomize deploy/", () => {
  test("renders the sidecar's objects, all in the sealsync-demo namespace, which enforces restricted", async () => {
    const rendered = await kustomize(DEPLOY_DIR);
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "Deployment/my-app", "Namespace/sealsync-demo", "NetworkPolicy/sealsync", "Role/sealsync", "RoleBinding/sealsync",
      "Service/sealsync", "ServiceAccount/sealsync",
    ]);
    for (const o of rendered.filter((x) => x.kind !== "Namespace")) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, "sealsync-demo"]);
    expect(only(rendered, "Namespace").metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    expect(rendered.some((o) => o.kind.startsWith("Cluster"))).toBe(false);
    expect(sidecarOf(rendered).image).toBe("registry.example.com/sealsync/sealsync:0.1.0");
    // An overlay that only sets the namespace renders the same objects, moved there.
    const moved = (o: K8sObject) => stringify(o).replaceAll(namespace, "sealsync-demo");
    expect(objects.map(moved)).toEqual(rendered.map((o) => stringify(o)));
  });

  test("every object is accepted by a server-side dry-run in a namespace enforcing restricted, without warnings", async () => {
    // The Namespace (from deploy/namespace.yaml, renamed by the overlay) is created for real: a dry-run
    // creates nothing, and the objects in it need it to exist.
    const ns = only(objects, "Namespace");
    expect(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const created = await kubectl(tmp, ["apply", "--server-side", "-f", "-"], stringify(ns));
    expect(created).toEqual({ exitCode: 0, stdout: `namespace/${namespace} serverside-applied\n`, stderr: "" });

    const all = objects.map((o) => stringify(o)).join("---\n");
    const res = await kubectl(tmp, ["apply", "--dry-run=server", "--server-side", "-f", "-"], all);
    // warn=restricted is set too: a Deployment whose pods would be refused gets a warning on stderr.
    expect(res.stderr).toBe("");
    expect(res.exitCode).toBe(0);
    const lines = res.stdout.trim().split("\n").sort();
    expect(lines).toEqual([
      `deployment.apps/my-app serverside-applied (server dry run)`,
      `namespace/${namespace} serverside-applied (server dry run)`,
      `networkpolicy.networking.k8s.io/sealsync serverside-applied (server dry run)`,
      `role.rbac.authorization.k8s.io/sealsync serverside-applied (server dry run)`,
      `rolebinding.rbac.authorization.k8s.io/sealsync serverside-applied (server dry run)`,
      `service/sealsync serverside-applied (server dry run)`,
      `serviceaccount/sealsync serverside-applied (server dry run)`,
    ]);
  });
});

describe("the Deployment's pod under the restricted Pod Security Standard", () => {
  const createPod = (pod: K8sObject) => kubectl(tmp, ["create", "--dry-run=server", "-o", "name", "-f", "-"], JSON.stringify(pod));

  test("a Pod from its template is admitted", async () => {
    const pod = podFromTemplate(only(objects, "Deployment"), "my-app-probe", namespace);
    expect(await createPod(pod)).toEqual({ exitCode: 0, stdout: "pod/my-app-probe\n", stderr: "" });
  });

  type Spec = PodSpec;
  const sidecar = (spec: Spec) => spec.containers.find((c) => c.name === "sealsync")!;
  test.each<[string, (spec: Spec) => void, string]>([
    ["allowPrivilegeEscalation: true on the sidecar", (s) => { sidecar(s).securityContext!.allowPrivilegeEscalation = true; },
      'allowPrivilegeEscalation != false (container "sealsync" must set securityContext.allowPrivilegeEscalation=false)'],
    ["no capabilities dropped by the sidecar", (s) => { delete sidecar(s).securityContext!.capabilities; },
      'unrestricted capabilities (container "sealsync" must set securityContext.capabilities.drop=["ALL"])'],
    ["runAsNonRoot unset", (s) => { delete s.securityContext!.runAsNonRoot; }, "runAsNonRoot != true"],
    ["runAsUser 0", (s) => { s.securityContext!.runAsUser = 0; }, "runAsUser=0"],
    ["no seccomp profile", (s) => { delete s.securityContext!.seccompProfile; }, "seccompProfile"],
  ])("the same Pod with %s is refused by PodSecurity admission (negative control)", async (_what, mutate, reason) => {
    const pod = podFromTemplate(only(objects, "Deployment"), "my-app-bad", namespace);
    mutate(pod.spec as Spec);
    const res = await createPod(pod);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain(`pods "my-app-bad" is forbidden: ${RESTRICTED}`);
    expect(res.stderr).toContain(reason);
  });
});

describe("the sidecar container", () => {
  test("runs `sealsync run` with only the agreed flags, the key Secret read-only and an emptyDir data dir", () => {
    const deployment = only<Deployment>(objects, "Deployment");
    const spec = deployment.spec.template.spec;
    const c = sidecarOf(objects);
    const [command, ...flags] = c.args ?? [];
    expect(command).toBe("run");
    const byFlag = new Map(flags.map((f) => {
      const m = /^(--[a-z-]+)(?:=(.*))?$/.exec(f);
      if (!m) throw new Error(`sealsync arg ${JSON.stringify(f)} is not --flag=value`);
      return [m[1]!, m[2] ?? ""];
    }));
    for (const flag of byFlag.keys()) expect([flag, RUN_FLAGS.has(flag)]).toEqual([flag, true]);
    for (const flag of ["--repo", "--ref", "--path", "--keys", "--data-dir", "--listen"]) expect(byFlag.has(flag)).toBe(true);

    const mount = (dir: string) => c.volumeMounts?.find((m) => m.mountPath === dir);
    const volume = (name: string | undefined) => spec.volumes?.find((v) => v.name === name);
    const keys = mount(byFlag.get("--keys")!);
    expect(keys?.readOnly).toBe(true);
    expect(volume(keys?.name)?.secret).toEqual({ secretName: "sealsync-keys", defaultMode: 0o440 });
    // The mounted key Secret is the one no revision may touch.
    expect(byFlag.get("--key-secret")).toBe("sealsync-keys");
    expect(volume(mount(byFlag.get("--data-dir")!)?.name)?.emptyDir).toBeDefined();
    // The audit log lives on the data volume (the root filesystem is read-only).
    expect(byFlag.get("--audit-log")!.startsWith(`${byFlag.get("--data-dir")}/`)).toBe(true);
    // Group-readable key files: the fsGroup owns them, and the user is in it.
    expect(spec.securityContext?.fsGroup).toBe(spec.securityContext?.runAsGroup ?? spec.securityContext?.runAsUser);

    // Probes and the port all point at --listen.
    const port = Number(byFlag.get("--listen")!.replace(/^.*:/, ""));
    expect(port).toBe(9090);
    const named = c.ports?.find((p) => p.containerPort === port)?.name;
    expect(c.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: named });
    expect(c.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: named });
    expect(c.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });

    expect(spec.serviceAccountName).toBe(only(objects, "ServiceAccount").metadata.name);
    expect(spec.automountServiceAccountToken).toBe(true);
  });

  test("every flag it passes (or shows commented out) is one the built `sealsync run --help` lists", async () => {
    const help = await runAsync("node", ["dist/cli/sealsync.js", "run", "--help"], { cwd: repoRoot });
    expect(help.exitCode).toBe(0);
    const flags = (sidecarOf(objects).args ?? []).slice(1).map((a) => a.replace(/=.*$/, ""));
    // And the ones deployment.yaml shows commented out, for a private repository and webhooks.
    const commented = [...readFileSync(path.join(DEPLOY_DIR, "deployment.yaml"), "utf8").matchAll(/^\s*#\s*- (--[a-z-]+)=/gm)].map((m) => m[1]!);
    expect(commented).toEqual(["--git-username", "--git-password-file", "--webhook-secret-file"]);
    flags.push(...commented);
    for (const flag of flags) expect([flag, new RegExp(`^\\s+${flag} `, "m").test(help.stdout)]).toEqual([flag, true]);
  });

  test("every container has a read-only root filesystem and runs as the image's numeric non-root user", () => {
    const spec = only<Deployment>(objects, "Deployment").spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const c of spec.containers) {
      expect([c.name, c.securityContext]).toEqual([c.name, {
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] },
      }]);
    }
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(readFileSync(path.join(DEPLOY_DIR, "Dockerfile"), "utf8"));
    expect(spec.securityContext?.runAsUser).toBe(Number(user?.[1]));
    expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
  });

  test("the NetworkPolicy admits ingress to the sidecar's port only, on the Deployment's pods", () => {
    const labels = only<Deployment>(objects, "Deployment").spec.template.metadata.labels;
    const policy = only(objects, "NetworkPolicy") as K8sObject & { spec: object };
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: labels },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: 9090 }] }],
    });
    const service = only(objects, "Service") as K8sObject & { spec: { selector: object; ports: { targetPort: string }[] } };
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(["sealsync"]);
  });
});
