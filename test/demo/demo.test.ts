/**
 * `npm run demo`: the demo program as npm runs it once provisioning and the build are done (what
 * `npm test`'s pretest does too), as a child process: end to end with --ci, left running with --keep
 * until Ctrl-C, and failing loudly when a step fails. Each run starts its own control plane and Git
 * server, as on a user's machine, and must leave nothing running and print no secret value.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { Keyring } from "../../src/crypto/keyring.js";
import { isSealedSecret, unsealSealedSecret } from "../../src/crypto/sealed/index.js";
import { decryptSopsDocuments, decryptSopsFile, isSopsDocument } from "../../src/crypto/sops/index.js";
import { repoRoot, testAssets } from "../env/assets.js";
import { runAsync } from "../env/run.js";

const EXAMPLE = path.join(repoRoot, "manifests-example");

interface DemoRun {
  output(): string;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
}

/** demo/main.ts as `npm run demo -- ARGS` ends up running it; asynchronous, so this process stays responsive. */
function startDemo(args: string[], env: NodeJS.ProcessEnv = {}): DemoRun {
  const child = spawn(process.execPath, ["--import", "tsx", "demo/main.ts", ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 170_000);
  void exit.then(() => clearTimeout(timer));
  return {
    output: () => out + err,
    stdout: () => out,
    stderr: () => err,
    exit,
    kill: (signal) => child.kill(signal),
    async waitForOutput(pattern, timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`demo output never matched ${pattern} (exit ${child.exitCode}); stdout:\n${out}\nstderr:\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The apiserver's, the Git server's and the sidecar's ports and the sidecar's pid, as the demo printed them. */
function servers(stdout: string): { ports: number[]; pid: number } {
  const port = (re: RegExp) => Number(stdout.match(re)?.[1]);
  const ports = [port(/kube-apiserver \S+ and etcd on https:\/\/127\.0\.0\.1:(\d+)/), port(/Git server .* on http:\/\/127\.0\.0\.1:(\d+)/),
    port(/\/metrics on http:\/\/127\.0\.0\.1:(\d+)/)];
  expect(ports.every((p) => p > 0)).toBe(true);
  return { ports, pid: Number(stdout.match(/sealsync is running \(pid (\d+)\)/)?.[1]) };
}

/** No server answers, the sidecar is gone, and so is the work folder (which held every temp folder of the run). */
async function expectNothingRunning(stdout: string): Promise<void> {
  const { ports, pid } = servers(stdout);
  expect(await Promise.all(ports.map(listening))).toEqual([false, false, false]);
  expect(alive(pid)).toBe(false);
  const workDir = stdout.match(/--log (\S+)\/data\/audit\/audit\.jsonl/)?.[1];
  if (workDir) expect([workDir, existsSync(workDir)]).toEqual([workDir, false]);
}

/** Every decrypted value of manifests-example/ (both environments), and its base64 form: none may be printed. */
let secretValues: string[];
beforeAll(async () => {
  const keyring = await Keyring.open({ dirs: [path.join(repoRoot, "keys-example")], watch: false, resyncIntervalMs: 0 });
  try {
    const values: string[] = [];
    for (const env of readdirSync(EXAMPLE, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
      for (const name of readdirSync(path.join(EXAMPLE, env)).filter((f) => /\.(sops|sealed)\.yaml$|\.sops\.env$/.test(f))) {
        const file = `${env}/${name}`;
        if (file.endsWith(".env")) {
          const out = await decryptSopsFile(readFileSync(path.join(EXAMPLE, file)), { format: "dotenv", file, identities: [...keyring.ageIdentities()] });
          values.push(...out.plaintext.revealText().split("\n").filter(Boolean).map((l) => l.slice(l.indexOf("=") + 1)));
          continue;
        }
        const docs = parseAllDocuments(readFileSync(path.join(EXAMPLE, file), "utf8")).map((d) => d.toJS() as Record<string, unknown>);
        if (docs.some(isSopsDocument)) {
          const { objects } = await decryptSopsDocuments(docs, [...keyring.ageIdentities()], { file });
          for (const o of objects) values.push(...Object.values(o.stringData as Record<string, string>));
        } else {
          docs.forEach((doc, index) => {
            if (!isSealedSecret(doc)) return;
            const { object } = unsealSealedSecret(doc, keyring.rsaKeys(), { file, index });
            values.push(...Object.values(object.data ?? {}).map((b64) => Buffer.from(b64, "base64").toString("utf8")));
          });
        }
      }
    }
    secretValues = values.flatMap((v) => [v, Buffer.from(v).toString("base64")]);
  } finally {
    await keyring.close();
  }
  // Ten values: a username, a password and an API token per environment, and the SMTP user and password of each .env.
  expect(secretValues).toHaveLength(20);
});

function expectNoSecretValue(text: string): void {
  expect(secretValues.filter((v) => text.includes(v))).toEqual([]);
}

describe("npm run demo", () => {
  it("--ci runs every step for real, exits 0, shows no secret value and leaves nothing running", async () => {
    const demo = startDemo(["--ci"]);
    const code = await demo.exit;
    const stdout = demo.stdout();
    expect({ code, stderr: demo.stderr() }).toEqual({ code: 0, stderr: "" });
    // The key lines, in order.
    const expected = [
      /\[1\/7\] Start a local Kubernetes control plane and a Git server/,
      /✓ kube-apiserver v\d+\.\d+\.\d+ and etcd on https:\/\/127\.0\.0\.1:\d+/,
      /✓ ServiceAccount sealsync bound to the Role in deploy\/role\.yaml/,
      /✓ Pushed manifests-example\/ to http:\/\/127\.0\.0\.1:\d+\/podinfo\.git \(commit [0-9a-f]{7}\)/,
      /\[3\/7\] Start the sidecar \(the real `sealsync run`\)/,
      /✓ Applied commit [0-9a-f]{7} [\d.]+ s after start:/,
      /ConfigMap\/podinfo-config +created\n/,
      /Secret\/podinfo-api-token +created +decrypted in memory \(SealedSecret, key SHA256:.*\), value hidden/,
      /Secret\/podinfo-db +created +decrypted in memory \(SOPS \+ age, key age1.*\), value hidden/,
      /Service\/podinfo +created\n/,
      /Deployment\/podinfo +created\n/,
      /✓ Secret\/podinfo-db is in the cluster with keys password, username \(values hidden\)/,
      /✓ GET \/readyz → 200/,
      /✓ Applied [\d.]+ s after the push/,
      /Secret\/podinfo-db +configured +decrypted in memory \(SOPS \+ age, .*\), value hidden/,
      /✓ Secret\/podinfo-db holds the new password \(compared in memory, never shown\)/,
      /✓ ConfigMap\/podinfo-config: PODINFO_UI_MESSAGE is now "Hello again — changed by a Git commit"/,
      /\$ kubectl -n sealsync-demo edit configmap podinfo-config/,
      /configmap\/podinfo-config edited/,
      /✓ sealsync saw the change by kubectl-edit and re-applied Git's version [\d.]+ s later/,
      /PODINFO_UI_COLOR is "#34577c" again/,
      /✓ Kubernetes Event DriftCorrected .*"ConfigMap\/podinfo-config was changed by kubectl-edit/,
      /✓ Service\/podinfo deleted [\d.]+ s after the push/,
      /✓ Secret sealsync-keys is still there/,
      /\$ sealsync audit export --format csv/,
      /seq,ts,action,kind,name,revision,fieldManager\n.*,object-created,ConfigMap,podinfo-config,[0-9a-f]{7},\n/,
      /,drift-corrected,ConfigMap,podinfo-config,[0-9a-f]{7},kubectl-edit\n/,
      /,object-pruned,Service,podinfo,[0-9a-f]{7},\n/,
      /\(7 of \d+ columns shown\)/,
      /\d+ entries, chain intact from #1 .* to #\d+ .*signatures verified/,
      /error: entry #\d+ .*bad signature/,
      /Done in [\d.]+ s/,
    ];
    let rest = stdout;
    for (const line of expected) {
      const m = line.exec(rest);
      expect([line.source, m ? "found" : `missing from:\n${rest}`]).toEqual([line.source, "found"]);
      rest = rest.slice((m?.index ?? 0) + (m?.[0].length ?? 0));
    }
    expect([stdout.includes("\u001b["), stdout.includes("⠋")]).toEqual([false, false]); // --ci: no colour, no spinner
    expectNoSecretValue(demo.output());
    await expectNothingRunning(stdout);
  }, 180_000);

  it("--keep leaves it running for kubectl with the printed kubeconfig; Ctrl-C then stops everything (exit 0)", async () => {
    const demo = startDemo(["--ci", "--keep"]);
    const [, kubeconfig] = await demo.waitForOutput(/export KUBECONFIG=(\S+)/);
    await demo.waitForOutput(/Press Ctrl-C to stop everything/);
    const kubectl = (args: string[]) => runAsync(testAssets().kubectl, [`--kubeconfig=${kubeconfig}`, "-n", "sealsync-demo", ...args]);
    expect(await kubectl(["get", "configmap", "podinfo-config", "-o", "jsonpath={.data.PODINFO_UI_MESSAGE}"]))
      .toEqual({ exitCode: 0, stdout: "Hello again — changed by a Git commit", stderr: "" });
    expect(await kubectl(["get", "service", "podinfo"])).toMatchObject({ exitCode: 1, stderr: expect.stringContaining("NotFound") });
    // What the user is told to read holds no secret value either.
    const sidecarLog = demo.stdout().match(/sealsync's own log: (\S+)/)?.[1] ?? "";
    const auditLog = demo.stdout().match(/audit tail --follow --log (\S+)/)?.[1] ?? "";
    expectNoSecretValue(readFileSync(sidecarLog, "utf8") + readFileSync(auditLog, "utf8"));

    demo.kill("SIGINT");
    expect(await demo.exit).toBe(0);
    expect(demo.stdout()).toMatch(/SIGINT: stopping sealsync, the Git server, kube-apiserver and etcd…\nStopped; nothing is left running\.\n$/);
    await expectNothingRunning(demo.stdout());
    expect([existsSync(kubeconfig!), existsSync(sidecarLog)]).toEqual([false, false]);
  }, 180_000);

  it("a step that fails ends the demo with exit 1, a message naming the step and the cause, and nothing left running", async () => {
    // A real failure: the daemon honours its env twin of --max-file-size and refuses the revision.
    const demo = startDemo(["--ci"], { SEALSYNC_MAX_FILE_SIZE: "100" });
    expect(await demo.exit).toBe(1);
    expect(demo.stderr()).toMatch(new RegExp("^\\n✗ The demo failed at step 3/7 \\(Start the sidecar \\(the real `sealsync run`\\) and watch its first sync\\): " +
      "sealsync could not apply [0-9a-f]{7}: FetchFailed: production/kustomization\\.yaml: file is \\d+ bytes, over the 100-byte limit"));
    expectNoSecretValue(demo.output());
    await expectNothingRunning(demo.stdout());
  }, 180_000);
});
