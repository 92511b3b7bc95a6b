/**
 * A real Kubernetes control plane for tests: etcd + kube-apiserver on free loopback ports, data in a
 * temp dir, RBAC on, an admin token user (system:masters) and an admin kubeconfig file.
 * Recipe: envtest's defaults plus loopback fixes (the project's test-environment spec, §5).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { testAssets } from "./assets.js";
import { freePort, startDaemon, waitFor, type Daemon } from "./processes.js";

export interface ControlPlaneInfo {
  /** https://127.0.0.1:PORT */
  server: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caFile: string;
  adminToken: string;
  adminKubeconfig: string;
  dataDir: string;
}

export interface ControlPlane extends ControlPlaneInfo {
  stop(): Promise<void>;
  /** Stops only the kube-apiserver (etcd keeps the data), to test how clients live through an outage. */
  stopApiserver(): Promise<void>;
  /** Starts the kube-apiserver again on the same port, with the same certificates and users; waits until ready. */
  startApiserver(): Promise<void>;
}

/** A kubeconfig file for a bearer-token user; written to `file`. */
export function writeKubeconfig(file: string, server: string, caFile: string, user: string, token: string,
  namespace = "default"): string {
  const cfg = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server, "certificate-authority": caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "test", context: { cluster: "test", user, namespace } }],
    "current-context": "test",
  };
  writeFileSync(file, JSON.stringify(cfg, null, 2), { mode: 0o600 });
  return file;
}

/** GET a path on the apiserver as admin; resolves to the HTTP status (0 on connection error). */
export function apiGetStatus(info: Pick<ControlPlaneInfo, "server" | "caFile" | "adminToken">,
  urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      new URL(urlPath, info.server),
      { ca: readFileSync(info.caFile), headers: { Authorization: `Bearer ${info.adminToken}` }, timeout: 5000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export async function startControlPlane(): Promise<ControlPlane> {
  const assets = testAssets();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "sealsync-cp-"));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await d.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = startDaemon("etcd", assets.etcd, [
      `--data-dir=${dataDir}/etcd`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ], path.join(dataDir, "etcd.log"));
    daemons.push(etcd);
    await waitFor("etcd /health", async () => (await fetch(`${etcdUrl}/health`)).ok, etcd);

    const adminToken = randomBytes(24).toString("hex");
    writeFileSync(path.join(dataDir, "tokens.csv"), `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });
    const saKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" });
    writeFileSync(path.join(dataDir, "sa.key"), saKey, { mode: 0o600 });
    mkdirSync(path.join(dataDir, "pki"));
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      "--advertise-address=127.0.0.1",
      "--endpoint-reconciler-type=none",
      `--cert-dir=${dataDir}/pki`,
      "--service-cluster-ip-range=10.0.0.0/16",
      "--allow-privileged=true",
      "--authorization-mode=RBAC",
      // Nothing creates the `default` ServiceAccount without controllers.
      "--disable-admission-plugins=ServiceAccount",
      `--token-auth-file=${dataDir}/tokens.csv`,
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${dataDir}/sa.key`,
      `--service-account-signing-key-file=${dataDir}/sa.key`,
    ];
    // The apiserver writes its self-signed serving cert (leaf, then CA) before it listens.
    const caFile = path.join(dataDir, "pki/apiserver.crt");
    const info = { server, caFile, adminToken };
    let apiserver: Daemon | undefined;
    const startApiserver = async () => {
      apiserver = startDaemon("kube-apiserver", assets.kubeApiserver, apiserverArgs, path.join(dataDir, "kube-apiserver.log"));
      daemons.push(apiserver);
      const d = apiserver;
      await waitFor("kube-apiserver /readyz", async () => (await apiGetStatus(info, "/readyz")) === 200, d);
      await waitFor("the default namespace", async () => (await apiGetStatus(info, "/api/v1/namespaces/default")) === 200, d);
    };
    const stopApiserver = async () => {
      await apiserver?.stop();
    };
    await startApiserver();

    const adminKubeconfig = writeKubeconfig(path.join(dataDir, "admin.kubeconfig"), server, caFile, "admin", adminToken);
    return { server, caFile, adminToken, adminKubeconfig, dataDir, stop, stopApiserver, startApiserver };
  } catch (err) {
    await stop();
    throw err;
  }
}
