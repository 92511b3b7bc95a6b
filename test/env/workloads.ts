/**
 * Where workloads really roll out: kube-controller-manager (Deployment, ReplicaSet, Job, CronJob,
 * StatefulSet, DaemonSet controllers), kube-scheduler and kwok — one simulated node that plays pod
 * lifecycles without a container runtime (stages: test/env/kwok-stages.yaml; a pod labelled
 * `sealsync.test/behaviour: crashloop | never-ready | fail` misbehaves on purpose).
 *
 * They cost start-up time and CPU, so they start only when a test asks: a worker calls
 * `await workloadControllers()`, which asks the jest main process (the one that owns the control plane,
 * see setup.ts) through a request file; the main process starts them once, and stops them in teardown.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, testAssets } from "./assets.js";
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { ControlPlane } from "./control-plane.js";
import { freePort, startDaemon, waitFor, type Daemon } from "./processes.js";
import { testEnvState } from "./state.js";

export const KWOK_NODE = "kwok-node-0";
/** The label a test puts on a pod template to make its pods misbehave (see kwok-stages.yaml). */
export const BEHAVIOUR_LABEL = "sealsync.test/behaviour";

const CONTROLLERS = [
  "deployment-controller", "replicaset-controller", "job-controller", "cronjob-controller",
  "statefulset-controller", "daemonset-controller",
].join(",");

export interface WorkloadControllers {
  stop(): Promise<void>;
  /** Milliseconds from the request to a Ready node. */
  startupMs: number;
}

/** Starts the controllers against `cp` and waits until the simulated node is Ready. */
export async function startWorkloadControllers(cp: ControlPlane): Promise<WorkloadControllers> {
  const started = Date.now();
  const assets = testAssets();
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await d.stop();
  };
  try {
    const kubeconfig = cp.adminKubeconfig;
    daemons.push(startDaemon("kube-controller-manager", assets.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`, "--leader-elect=false", `--controllers=${CONTROLLERS}`,
      "--secure-port=0", "--v=1",
    ], path.join(cp.dataDir, "kube-controller-manager.log")));
    daemons.push(startDaemon("kube-scheduler", assets.kubeScheduler, [
      `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--secure-port=0", "--v=1",
    ], path.join(cp.dataDir, "kube-scheduler.log")));
    const kwokPort = await freePort();
    const kwok = startDaemon("kwok", assets.kwok, [
      `--kubeconfig=${kubeconfig}`, `--config=${path.join(repoRoot, "test/env/kwok-stages.yaml")}`,
      "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--manage-nodes-with-label-selector=", "--manage-single-node=",
      `--server-address=127.0.0.1:${kwokPort}`, "--node-lease-duration-seconds=40",
    ], path.join(cp.dataDir, "kwok.log"), { ...process.env, HOME: cp.dataDir });
    daemons.push(kwok);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNode({
      body: {
        metadata: {
          name: KWOK_NODE,
          annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
          labels: { "kubernetes.io/hostname": KWOK_NODE, "kubernetes.io/os": "linux", type: "kwok" },
        },
      },
    });
    await waitFor("the kwok node to be Ready", async () => {
      const node = await core.readNode({ name: KWOK_NODE });
      return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    }, kwok);
    // The apiserver taints a new node not-ready; the node-lifecycle controller (not run here: it would
    // also evict) would lift it once Ready, so lift it by hand.
    await core.patchNode({ name: KWOK_NODE, body: { spec: { taints: null } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    for (const d of daemons) {
      if (d.child.exitCode !== null) throw new Error(`${d.name} exited with code ${d.child.exitCode}:\n${d.tail()}`);
    }
    return { stop, startupMs: Date.now() - started };
  } catch (err) {
    await stop();
    throw err;
  }
}

const runDir = path.join(repoRoot, ".cache/run");
const requestFile = (ownerPid: number) => path.join(runDir, `workloads-${ownerPid}.request`);
const resultFile = (ownerPid: number) => path.join(runDir, `workloads-${ownerPid}.json`);

/**
 * Main-process side: starts the controllers when a worker asks for them (polling a file: jest's main
 * process has no other channel its workers can reach). Returns a stop function for teardown.
 */
export function serveWorkloadRequests(cp: ControlPlane): () => Promise<void> {
  mkdirSync(runDir, { recursive: true });
  const pid = process.pid;
  let running: Promise<WorkloadControllers> | undefined;
  const timer = setInterval(() => {
    if (running || !existsSync(requestFile(pid))) return;
    running = startWorkloadControllers(cp);
    running.then(
      (w) => writeFileSync(resultFile(pid), JSON.stringify({ ok: true, startupMs: w.startupMs })),
      (err: Error) => writeFileSync(resultFile(pid), JSON.stringify({ ok: false, error: err.message })),
    );
  }, 100);
  timer.unref();
  return async () => {
    clearInterval(timer);
    const w = await running?.catch(() => undefined);
    await w?.stop();
  };
}

/**
 * Worker side: makes sure the controllers, scheduler and kwok node are running (starting them on the
 * first call of the whole run) and returns how long their start-up took.
 */
export async function workloadControllers(timeoutMs = 120_000): Promise<{ startupMs: number }> {
  const ownerPid = testEnvState().ownerPid;
  if (!existsSync(resultFile(ownerPid))) writeFileSync(requestFile(ownerPid), String(process.pid));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(resultFile(ownerPid))) {
    if (Date.now() > deadline) throw new Error(`workload controllers did not start within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = JSON.parse(readFileSync(resultFile(ownerPid), "utf8")) as { ok: boolean; startupMs?: number; error?: string };
  if (!result.ok) throw new Error(`workload controllers failed to start: ${result.error}`);
  return { startupMs: result.startupMs ?? 0 };
}
