/**
 * `npm run demo [-- --ci | --keep]`: sealsync's whole loop on this machine, for real (see walkthrough.ts).
 * npm provisions the test environment and builds first; this runs under `node --import tsx`.
 *
 * Exit status: 0 every step worked, 1 a step failed (the message says which and why), 2 usage,
 * 130 interrupted by Ctrl-C before the end (after --keep's walk-through, Ctrl-C is the way out: 0).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { testAssets } from "../test/env/assets.js";
import { Cleanup } from "./cleanup.js";
import { Narrator } from "./narrator.js";
import { SEALSYNC_CLI } from "./commands.js";
import { NAMESPACE, walkthrough, type DemoState } from "./walkthrough.js";

const USAGE = `Usage: npm run demo [-- --ci | --keep]

Starts a local kube-apiserver + etcd and a Git server, pushes manifests-example/ to a repo, loads
keys-example/ into the cluster, runs the real \`sealsync run\` against them and walks you through
what it does. Everything is stopped and removed at the end, or on Ctrl-C.

  --ci     no pauses, no spinner, no colour; exit 0 only if every step worked
  --keep   leave everything running at the end (kubeconfig and commands printed); Ctrl-C stops it
  -h       this help`;

function parseFlags(argv: string[]): { ci: boolean; keep: boolean } {
  const flags = { ci: false, keep: false };
  for (const arg of argv) {
    if (arg === "--ci") flags.ci = true;
    else if (arg === "--keep") flags.keep = true;
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`demo: unknown flag ${arg}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return flags;
}

function printKeep(state: DemoState): void {
  const kubectl = testAssets().kubectl;
  const lines = [
    "",
    "Everything is still running. In another terminal:",
    `  export KUBECONFIG=${state.controlPlane.adminKubeconfig}`,
    `  alias kubectl=${kubectl}    # the provisioned kubectl; yours works too`,
    `  kubectl -n ${NAMESPACE} get deployments,services,configmaps,secrets`,
    `  kubectl -n ${NAMESPACE} edit configmap podinfo-config    # sealsync puts it back`,
    `  kubectl -n ${NAMESPACE} get events`,
    `  cd ${state.repo.workdir}    # the repo's clone: edit, git commit -a, git push; sealsync applies it`,
    `  node ${SEALSYNC_CLI} audit tail --follow --log ${state.sidecar.auditLog}`,
    `  curl ${state.sidecarUrl}/metrics`,
    `sealsync's own log: ${state.sidecar.logFile}`,
    "",
    "Press Ctrl-C to stop everything and remove it.",
  ];
  console.log(lines.join("\n"));
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const tty = !flags.ci && process.stdout.isTTY === true;
  const say = new Narrator({ tty, pause: tty && process.stdin.isTTY === true });
  if (!existsSync(SEALSYNC_CLI)) {
    say.fail(`${path.relative(process.cwd(), SEALSYNC_CLI)} is missing: run \`npm run build\` first (\`npm run demo\` does).`);
    process.exit(1);
  }

  const cleanup = new Cleanup();
  let keeping = false;
  let stopping = false;
  let stoppingSince = 0;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // The same Ctrl-C can arrive twice (from the terminal, and forwarded by npm): only a later one counts.
      if (Date.now() - stoppingSince < 1000) return;
      // A second Ctrl-C does not wait: on exit the children are killed (SIGKILL); the work folder may stay.
      say.notice(`${signal} again: exiting now.`);
      process.exit(130);
    }
    stopping = true;
    stoppingSince = Date.now();
    say.mute();
    say.notice(`\n${signal}: stopping sealsync, the Git server, kube-apiserver and etcd…`);
    void cleanup.run().then(() => {
      say.notice("Stopped; nothing is left running.");
      process.exit(keeping ? 0 : 130);
    });
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stop(signal));

  say.title("sealsync demo: GitOps with encrypted secrets, on a real (local) control plane");
  say.say("Nothing here is simulated: a real kube-apiserver and etcd, a real Git server, the real `sealsync run`.");
  let state: DemoState;
  try {
    state = await walkthrough(say, cleanup);
  } catch (err) {
    if (stopping) return; // Interrupted: the signal handler reports and exits.
    say.fail(`The demo failed at ${say.current}: ${(err as Error).message}`);
    await cleanup.run();
    process.exit(1);
  }
  if (flags.keep && !stopping) {
    keeping = true;
    printKeep(state);
    return; // The servers keep the event loop alive; a signal ends it.
  }
  await cleanup.run();
  if (!stopping) process.exit(0);
}

await main();
