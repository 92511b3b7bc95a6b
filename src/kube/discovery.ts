/** Discovery: which REST resource serves a kind, and whether it is namespaced. Cached per group/version. */
import type { KubeClient } from "./client.js";

export interface ResourceInfo {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, e.g. "configmaps". */
  resource: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export class UnknownKindError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`the API server does not serve ${kind} in ${apiVersion} (is its CRD installed?)`);
    this.name = "UnknownKindError";
  }
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const API_VERSION_RE = new RegExp(`^(${DNS_LABEL}(\\.${DNS_LABEL})*/)?[a-z]([-a-z0-9]*[a-z0-9])?$`);

export class Discovery {
  private readonly cache = new Map<string, Promise<ApiResourceList | undefined>>();

  constructor(private readonly client: KubeClient) {}

  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let found = await this.lookup(apiVersion, kind, false);
    // A CRD may have been created since the cache was filled.
    found ??= await this.lookup(apiVersion, kind, true);
    if (!found) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /** Like resolve, but undefined for an unknown kind. */
  async tryResolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return (await this.lookup(apiVersion, kind, false)) ?? (await this.lookup(apiVersion, kind, true));
  }

  /** A group-kind at the group's preferred version (for inventory entries, which carry no version). */
  async resolveGroupKind(group: string, kind: string): Promise<ResourceInfo | undefined> {
    if (!group) return this.tryResolve("v1", kind);
    this.groups ??= this.client.request<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>("GET", "/apis")
      .then((r) => new Map(r.body.groups.map((g) => [g.name, g.preferredVersion.groupVersion])));
    const gv = (await this.groups).get(group);
    return gv ? this.tryResolve(gv, kind) : undefined;
  }

  private groups?: Promise<Map<string, string>>;

  /** Path of a collection or an object, e.g. /apis/apps/v1/namespaces/ns/deployments/name. */
  static path(info: ResourceInfo, namespace?: string, name?: string): string {
    const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${base}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ""}`;
  }

  private async lookup(apiVersion: string, kind: string, refresh: boolean): Promise<ResourceInfo | undefined> {
    // apiVersion comes from Git and becomes a URL path: only a group (DNS subdomain) and a version (DNS label).
    if (!API_VERSION_RE.test(apiVersion)) return undefined;
    if (refresh) this.cache.delete(apiVersion);
    let list = this.cache.get(apiVersion);
    if (!list) {
      const { group, version } = splitApiVersion(apiVersion);
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      list = this.client.request<ApiResourceList>("GET", path, { allow: [404] })
        .then((r) => (r.status === 404 ? undefined : r.body));
      this.cache.set(apiVersion, list);
      list.catch(() => this.cache.delete(apiVersion));
    }
    const resources = await list;
    const r = (Array.isArray(resources?.resources) ? resources.resources : []).find((x) => x.kind === kind && !x.name.includes("/"));
    if (!r) return undefined;
    const { group, version } = splitApiVersion(apiVersion);
    return { apiVersion, group, version, kind, resource: r.name, namespaced: r.namespaced };
  }
}
