/**
 * Where the API server is and how to authenticate to it: in-cluster (the pod's ServiceAccount token,
 * re-read so projected-token rotation works), or a kubeconfig file (--kubeconfig, $KUBECONFIG, ~/.kube/config).
 *
 * Why not @kubernetes/client-node's KubeConfig: importing that package costs ~0.4 s and ~70 MiB of
 * memory in a sidecar whose whole budget is 80 MiB. Tokens, token files, client certificates and basic
 * auth are handled here; only exec credential plugins and auth-providers (laptops on EKS/GKE…) load
 * client-node, lazily, to produce the header.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConfig {
  /** https://host:port */
  server: string;
  /** The context's namespace, or the pod's. */
  namespace?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify: boolean;
  /** Where this came from, for messages: a file path or "in-cluster". */
  source: string;
  /** The Authorization header (if any) for the next request. */
  authorization(): Promise<string | undefined>;
}

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeConfigError";
  }
}

interface Named<T> { name: string; [key: string]: unknown; cluster?: T; user?: T; context?: T }
interface RawCluster { server?: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean }
interface RawUser {
  token?: string; tokenFile?: string; username?: string; password?: string;
  "client-certificate"?: string; "client-certificate-data"?: string; "client-key"?: string; "client-key-data"?: string;
  exec?: unknown; "auth-provider"?: unknown;
}
interface RawContext { cluster?: string; user?: string; namespace?: string }
interface RawConfig { clusters?: Named<RawCluster>[]; users?: Named<RawUser>[]; contexts?: Named<RawContext>[]; "current-context"?: string }

/** Loads an explicit file, else in-cluster, else $KUBECONFIG (first file wins per name), else ~/.kube/config. */
export function loadKubeConfig(file?: string): KubeConfig {
  if (file) return fromFiles([file]);
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(path.join(SERVICE_ACCOUNT_DIR, "token"))) return inCluster();
  const env = process.env.KUBECONFIG?.split(path.delimiter).filter(Boolean);
  const files = env?.length ? env : [path.join(os.homedir(), ".kube", "config")];
  return fromFiles(files);
}

function inCluster(): KubeConfig {
  const host = process.env.KUBERNETES_SERVICE_HOST as string;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  const tokenFile = path.join(SERVICE_ACCOUNT_DIR, "token");
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    namespace: readIfExists(path.join(SERVICE_ACCOUNT_DIR, "namespace"))?.trim(),
    ca: existsSync(path.join(SERVICE_ACCOUNT_DIR, "ca.crt")) ? readFileSync(path.join(SERVICE_ACCOUNT_DIR, "ca.crt")) : undefined,
    insecureSkipTlsVerify: false,
    source: "in-cluster",
    authorization: tokenFromFile(tokenFile),
  };
}

function fromFiles(files: string[]): KubeConfig {
  const merged: Required<Pick<RawConfig, "clusters" | "users" | "contexts">> & { current?: string } = { clusters: [], users: [], contexts: [] };
  const dirOf = new Map<object, string>();
  let readAny = false;
  for (const f of files) {
    let raw: RawConfig;
    try {
      raw = (parse(readFileSync(f, "utf8")) ?? {}) as RawConfig;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new KubeConfigError(`cannot read kubeconfig ${f}: ${(err as Error).message.split("\n")[0]}`);
    }
    readAny = true;
    // Like kubectl: the first file to define a name wins; relative paths are relative to their file.
    for (const kind of ["clusters", "users", "contexts"] as const) {
      for (const entry of raw[kind] ?? []) {
        if (!merged[kind].some((e) => e.name === entry.name)) {
          merged[kind].push(entry as never);
          dirOf.set(entry, path.dirname(path.resolve(f)));
        }
      }
    }
    if (!merged.current) merged.current = raw["current-context"] || undefined; // the first non-empty one, as kubectl
  }
  const where = files.join(path.delimiter);
  if (!readAny) {
    throw new KubeConfigError(`no kubeconfig found at ${where}: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod`);
  }
  const ctxEntry = merged.contexts.find((c) => c.name === merged.current);
  if (!ctxEntry?.context) throw new KubeConfigError(`kubeconfig ${where}: current-context ${JSON.stringify(merged.current ?? "")} is not defined`);
  const ctx = ctxEntry.context;
  const clusterEntry = merged.clusters.find((c) => c.name === ctx.cluster);
  const cluster = clusterEntry?.cluster;
  if (!cluster?.server) throw new KubeConfigError(`kubeconfig ${where}: cluster ${JSON.stringify(ctx.cluster ?? "")} has no server`);
  const userEntry = merged.users.find((u) => u.name === ctx.user);
  const user: RawUser = userEntry?.user ?? {};
  const cdir = clusterEntry ? (dirOf.get(clusterEntry) ?? ".") : ".";
  const udir = userEntry ? (dirOf.get(userEntry) ?? ".") : ".";
  const load = (dir: string, fileField?: string, dataField?: string) =>
    dataField ? Buffer.from(dataField, "base64") : fileField ? readFileSync(path.resolve(dir, fileField)) : undefined;

  let authorization: KubeConfig["authorization"];
  if (user.token) authorization = async () => `Bearer ${user.token}`;
  else if (user.tokenFile) authorization = tokenFromFile(path.resolve(udir, user.tokenFile));
  else if (user.username !== undefined && user.password !== undefined) {
    const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
    authorization = async () => basic;
  } else if (user.exec || user["auth-provider"]) {
    // client-node gets the merged config, with every file path made absolute against the file that named it.
    const absolute = (dir: string, entry: Record<string, unknown>, fields: string[]) =>
      Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, fields.includes(k) && typeof v === "string" ? path.resolve(dir, v) : v]));
    authorization = viaClientNode(stringify({
      apiVersion: "v1", kind: "Config", "current-context": merged.current,
      clusters: [{ name: ctx.cluster, cluster: absolute(cdir, { ...cluster }, ["certificate-authority"]) }],
      users: [{ name: ctx.user, user: absolute(udir, { ...user }, ["client-certificate", "client-key", "tokenFile"]) }],
      contexts: [{ name: merged.current, context: ctx }],
    }), merged.current as string);
  }
  else authorization = async () => undefined;

  return {
    server: cluster.server.replace(/\/+$/, ""),
    namespace: ctx.namespace,
    ca: load(cdir, cluster["certificate-authority"], cluster["certificate-authority-data"]),
    cert: load(udir, user["client-certificate"], user["client-certificate-data"]),
    key: load(udir, user["client-key"], user["client-key-data"]),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    source: where,
    authorization,
  };
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** A token re-read from its file at most once a minute (kubelet rotates projected tokens well before expiry). */
function tokenFromFile(file: string): () => Promise<string> {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > 60_000) cached = { token: readFileSync(file, "utf8").trim(), at: Date.now() };
    return `Bearer ${cached.token}`;
  };
}

/** Exec plugins and auth-providers: let client-node run them (loaded only for such users). */
function viaClientNode(config: string, context: string): () => Promise<string | undefined> {
  let kc: import("@kubernetes/client-node").KubeConfig | undefined;
  return async () => {
    if (!kc) {
      const { KubeConfig: ClientNodeKubeConfig } = await import("@kubernetes/client-node");
      kc = new ClientNodeKubeConfig();
      kc.loadFromString(config);
      kc.setCurrentContext(context);
    }
    const opts: { headers?: Record<string, string> } = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    return opts.headers?.Authorization ?? opts.headers?.authorization;
  };
}
