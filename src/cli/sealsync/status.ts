/**
 * `sealsync status`: what the sidecar last did, read from its ApplySet parent's status annotation through
 * the API (no access to the sidecar's port needed) — one screen, like `flux get kustomizations`.
 * Exit 0 when shown, 1 when there is no status (yet), 2 on a usage error.
 */
import { Option, type Command } from "commander";
import { UsageError } from "../../config/usage-error.js";
import { KubeClient, defaultNamespace, loadKubeConfig } from "../../kube/client.js";
import { LABEL_ID, applySetId, DEFAULT_PARENT_NAME } from "../../kube/applyset.js";
import { watchCollection } from "../../kube/watch.js";
import { STATUS_ANNOTATION, readStatus, type DaemonStatus } from "../../daemon/status.js";
import { withExitCodes } from "../exit.js";

interface StatusFlags {
  namespace?: string;
  kubeconfig?: string;
  applysetName: string;
  watch?: boolean;
  output: "text" | "json";
}

class NoStatusError extends Error {
  constructor(namespace: string, parent: string) {
    super(`no sealsync status in namespace ${namespace}: Secret ${parent} has no ${STATUS_ANNOTATION} annotation ` +
      "(is sealsync running there, and is --applyset-name right?)");
    this.name = "NoStatusError";
  }
}

const short = (sha?: string) => (sha ? sha.slice(0, 12) : "-");

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd());
}

/** The status as a person reads it: a header of facts, then one line per object, then failing documents. */
export function formatStatus(namespace: string, parent: string, s: DaemonStatus): string {
  const lines = table([
    ["namespace", `${namespace} (Secret/${parent})`],
    ["sync", `${s.phase}${s.managedObjects !== undefined ? `, ${s.managedObjects} objects` : ""}`],
    ["applied", short(s.lastAppliedRevision)],
    ["attempted", short(s.lastAttemptedRevision)],
    ["commit", [s.author, s.subject ? JSON.stringify(s.subject) : undefined].filter(Boolean).join(": ") || "-"],
    ["health", s.health ? `${s.health.phase}${s.health.reason ? ` (${s.health.reason})` : ""} for ${short(s.health.revision)}` : "-"],
    ["last healthy", short(s.lastHealthyRevision)],
    ["updated", s.time],
    ["last error", s.lastError ?? "-"],
  ]);
  const objects = s.health?.objects ?? [];
  if (objects.length > 0) {
    lines.push("", ...table([["OBJECT", "HEALTH", "REASON", "MESSAGE"], ...objects.map((o) => [`${o.kind}/${o.name}`, o.status, o.reason, o.message])]));
  }
  if (s.failingDocuments && s.failingDocuments.length > 0) {
    lines.push("", "failing documents:");
    for (const d of s.failingDocuments) lines.push(`  ${d.file} (document ${d.document})${d.object ? ` ${d.object}` : ""}: ${d.reason}`);
  }
  return lines.join("\n");
}

async function showStatus(flags: StatusFlags): Promise<void> {
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const namespace = flags.namespace ?? defaultNamespace(kubeConfig);
  const client = new KubeClient(kubeConfig);
  const print = (s: DaemonStatus) => console.log(flags.output === "json" ? JSON.stringify(s, null, 2) : formatStatus(namespace, flags.applysetName, s));
  try {
    const status = await readStatus(client, namespace, flags.applysetName);
    if (!status && !flags.watch) throw new NoStatusError(namespace, flags.applysetName);
    if (status) print(status);
    if (!flags.watch) return;
    // --watch: print again on each change of the parent (it carries the ApplySet id label), until Ctrl-C.
    const w = watchCollection({
      client, path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      labelSelector: `${LABEL_ID}=${applySetId(flags.applysetName, namespace)}`, initialEvents: false,
    });
    process.once("SIGINT", () => w.close());
    process.once("SIGTERM", () => w.close());
    let last = JSON.stringify(status ?? null);
    for await (const ev of w) {
      const text = ev.object.metadata.annotations?.[STATUS_ANNOTATION];
      if (!text || text === last) continue;
      last = text;
      if (flags.output === "text") console.log(process.stdout.isTTY ? "\x1b[2J\x1b[H" : "---");
      print(JSON.parse(text) as DaemonStatus);
    }
  } finally {
    client.close();
  }
}

export function registerStatusCommand(program: Command): void {
  const opt = (flags: string, description: string, env: string) => new Option(flags, description).env(`SEALSYNC_${env}`);
  program.command("status")
    .description("show what sealsync last applied in a namespace and whether it is healthy (read from the API)")
    .addOption(opt("-n, --namespace <ns>", "namespace sealsync manages (default: the kubeconfig context's)", "NAMESPACE"))
    .addOption(opt("--kubeconfig <file>", "kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)", "KUBECONFIG"))
    .addOption(opt("--applyset-name <name>", "name of the inventory Secret (the ApplySet parent)", "APPLYSET_NAME").default(DEFAULT_PARENT_NAME))
    .option("-w, --watch", "print again whenever the status changes (Ctrl-C to stop)")
    .addOption(new Option("-o, --output <format>", "text or json").choices(["text", "json"]).default("text"))
    .addHelpText("after", `
Example:
  sealsync status -n shop
  sealsync status -n shop -o json | jq .health.phase`)
    .action((flags: StatusFlags) => withExitCodes(async () => {
      if (flags.applysetName.trim() === "") throw new UsageError("invalid flag: --applyset-name must not be empty");
      await showStatus(flags);
    }));
}
