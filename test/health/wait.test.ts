/**
 * `sealsync sync --once --wait` against workloads that really roll out (kube-controller-manager,
 * kube-scheduler and a kwok node, test/env/workloads.ts): Ready when the Deployment is Available,
 * Degraded — exit 1, naming the object and the pod's reason — when pods crash-loop, cannot be
 * scheduled, or a Job fails.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import path from "node:path";
import { repoRoot } from "../env/assets.js";
import { commitFiles } from "../env/git.js";
import { runAsync, type RunResult } from "../env/run.js";
import { BEHAVIOUR_LABEL, workloadControllers } from "../env/workloads.js";
import { workload } from "./helpers.js";
import { syncFixture, type SyncFixture } from "../sync/helpers.js";

const cli = path.join(repoRoot, "dist/cli/sealsync.js");

const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports: [{port: 80}]
`;

function sync(f: SyncFixture, extra: string[]): Promise<RunResult> {
  return runAsync(process.execPath, [cli, "sync", "--once", "--repo", f.repo.url, "-n", f.namespace, "--kubeconfig", f.kubeconfig,
    "--data-dir", f.dataDir, "--git-username", f.repo.username, "--git-password-file", f.passwordFile, ...extra], { timeoutMs: 170_000 });
}

beforeAll(async () => {
  const { startupMs } = await workloadControllers();
  console.log(`workload controllers (kube-controller-manager, kube-scheduler, kwok) started in ${startupMs} ms`);
}, 180_000);

describe("sealsync sync --once --wait", () => {
  it("waits until the Deployment is Available, then reports Ready and exits 0", async () => {
    const f = await syncFixture("ready", { role: "namespace-admin" });
    await commitFiles(f.repo, { "web.yaml": workload("web"), "svc.yaml": service("web") }, { message: "web" });
    const res = await sync(f, ["--wait", "--health-timeout", "2m"]);
    expect({ exitCode: res.exitCode, stderr: res.stderr }).toEqual({ exitCode: 0, stderr: "" });
    const lines = res.stdout.trim().split("\n");
    expect(lines.slice(1)).toEqual([
      "created Service/web",
      "created Deployment/web",
      "synced: 2 created, 0 configured, 0 unchanged, 0 pruned, 0 failed",
      expect.stringMatching(/^health: Ready: 2 objects Current after \d+\.\ds$/),
    ]);
    console.log(`apply to Ready (sync --once --wait): ${lines.at(-1)}`);
  }, 180_000);

  it("reports a crash-looping Deployment as Degraded with the pod's reason, and exits 1", async () => {
    const f = await syncFixture("crash", { role: "namespace-admin" });
    await commitFiles(f.repo, { "bad.yaml": workload("bad", { behaviour: "crashloop" }) }, { message: "bad" });
    const res = await sync(f, ["--wait", "--health-timeout", "2m"]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout.trim().split("\n").slice(1)).toEqual(["created Deployment/bad", "synced: 1 created, 0 configured, 0 unchanged, 0 pruned, 0 failed"]);
    expect(res.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: revision [0-9a-f]{12} is Degraded \(an object failed\) after \d+\.\ds:$/),
      expect.stringMatching(/^ {2}- Deployment\/bad: ContainerCrashLooping: pod bad-[a-z0-9]+-[a-z0-9]+: Containers in CrashLoop state: app \(.+\)$/),
    ]);
  }, 180_000);

  it("reports a pod that never becomes ready as Degraded when the health timeout passes", async () => {
    const f = await syncFixture("slow", { role: "namespace-admin" });
    await commitFiles(f.repo, { "slow.yaml": workload("slow", { behaviour: "never-ready" }) }, { message: "slow" });
    const res = await sync(f, ["--wait", "--health-timeout", "20s"]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: revision [0-9a-f]{12} is Degraded \(not Ready within the health timeout\) after \d+\.\ds:$/),
      expect.stringMatching(/^ {2}- Deployment\/slow: Less(Available|Ready): .*; pod slow-[a-z0-9]+-[a-z0-9]+: Pod is running but is not Ready$/),
    ]);
  }, 180_000);

  it("reports an unschedulable pod as Degraded", async () => {
    const f = await syncFixture("nosched", { role: "namespace-admin" });
    await commitFiles(f.repo, { "big.yaml": workload("big", { nodeSelector: { "example.com/gpu": "h100" } }) }, { message: "big" });
    const res = await sync(f, ["--wait", "--health-timeout", "2m"]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/- Deployment\/big: PodUnschedulable: pod big-[a-z0-9]+-[a-z0-9]+: Pod could not be scheduled: 0\/1 nodes are available/);
  }, 180_000);

  it("reports a failing Job as Degraded", async () => {
    const f = await syncFixture("job", { role: "namespace-admin" });
    await commitFiles(f.repo, {
      "job.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 0
  template:
    metadata:
      labels: {${BEHAVIOUR_LABEL}: fail}
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example/migrate:1
`,
    }, { message: "job" });
    const res = await sync(f, ["--wait", "--health-timeout", "2m"]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: revision [0-9a-f]{12} is Degraded \(an object failed\) after \d+\.\ds:$/),
      "  - Job/migrate: JobFailed: Job Failed. failed: 1/1 (BackoffLimitExceeded)",
    ]);
  }, 180_000);
});
