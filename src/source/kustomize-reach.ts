/**
 * Which files a kustomize build reaches: starting from the kustomization of --path, follow every field
 * that names a file or folder (resources, components, patches, generator sources, transformer configs,
 * replacements, …) and read exactly those files, nothing else of the repository. Anything kustomize would
 * fetch or run (remote bases, helm charts, exec/KRM plugins), any path leaving the repository and any
 * symlink is a problem naming the kustomization file: the build refuses the revision before kustomize runs.
 */
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { DEFAULT_MAX_FILE_BYTES, SizeGuard } from "./file-rules.js";
import { kustomizationIn, type TreeReader } from "./tree.js";

/** How the build uses a file: decides how an encrypted one is opened and what its values may become. */
export type FileUse =
  | { as: "kustomization" }
  | { as: "resource" }
  | { as: "patch" }
  | { as: "config" }
  /** A configMapGenerator/secretGenerator source: `files:` (whole file is one value) or `envs:` (KEY=value lines). */
  | { as: "generator-file" | "generator-env"; generatorKind: "Secret" | "ConfigMap" };

export interface KustomizeTree {
  /** The folder --path names, repository-relative ("" = the root). */
  root: string;
  /** Every file reached (repository-relative path → bytes as stored: ciphertext stays ciphertext). */
  files: Map<string, Uint8Array>;
  uses: Map<string, FileUse[]>;
  /** Refusals found while reading; a revision with any is refused whole. */
  problems: string[];
}

export interface ReachOptions {
  maxFileBytes?: number;
  /** Most files one build may reach. */
  maxFiles?: number;
}

export const DEFAULT_MAX_KUSTOMIZE_FILES = 10_000;

/** Builtin kustomize generators/transformers: any other kind in `transformers:`/`generators:` is a plugin. */
const BUILTIN_KINDS = new Set([
  "AnnotationsTransformer", "ConfigMapGenerator", "HashTransformer", "IAMPolicyGenerator", "ImageTagTransformer",
  "LabelTransformer", "NamespaceTransformer", "PatchJson6902Transformer", "PatchStrategicMergeTransformer",
  "PatchTransformer", "PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer", "ReplicaCountTransformer",
  "SecretGenerator", "ValueAddTransformer", "ReplacementTransformer", "SortOrderTransformer",
]);
const FUNCTION_ANNOTATIONS = ["config.kubernetes.io/function", "config.k8s.io/function"];
const HELM_FIELDS = ["helmCharts", "helmChartInflationGenerator", "helmGlobals"];

/** A resource/base that kustomize would fetch: a URL, a go-getter string, or a host-qualified repo path. */
export function isRemoteRef(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^(git::|git@|ssh:|https?:)/i.test(ref) ||
    /^(github\.com|gitlab\.com|bitbucket\.org)[/:]/i.test(ref) || /\?(ref|version|submodules|timeout)=/.test(ref);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);
const objects = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : []);

export async function readKustomizeTree(reader: TreeReader, root: string, opts: ReachOptions = {}): Promise<KustomizeTree> {
  const tree: KustomizeTree = { root, files: new Map(), uses: new Map(), problems: [] };
  const sizes = new SizeGuard(opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_KUSTOMIZE_FILES;
  const visitedDirs = new Set<string>();
  const problem = (where: string, what: string) => tree.problems.push(`${where}: ${what}`);

  /** Resolves an entry of a kustomization against its folder; undefined (and a problem) if it leaves the repository. */
  const resolve = (kfile: string, dir: string, field: string, entry: string): string | undefined => {
    if (path.posix.isAbsolute(entry) || /^[a-zA-Z]:[\\/]/.test(entry)) {
      problem(kfile, `${field} "${entry}" is an absolute path; use a path relative to the kustomization`);
      return undefined;
    }
    const joined = path.posix.normalize(path.posix.join(dir || ".", entry));
    if (joined === ".." || joined.startsWith("../")) {
      problem(kfile, `${field} "${entry}" reaches outside the repository; a build may only read files of the repository`);
      return undefined;
    }
    return joined === "." ? "" : joined.replace(/\/$/, "");
  };

  /** Every folder on the way to the path must be a real folder: a symlinked folder would be followed. */
  const symlinkOnWay = async (p: string): Promise<string | undefined> => {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if ((await reader.kind(prefix)) === "symlink") return prefix;
    }
    return undefined;
  };

  const addFile = async (kfile: string, field: string, p: string, use: FileUse): Promise<boolean> => {
    const kind = await reader.kind(p);
    const link = kind === "symlink" ? p : await symlinkOnWay(p);
    if (link) {
      problem(kfile, `${field} "${p}" goes through the symlink ${link}; symlinks are never followed (commit the file itself)`);
      return false;
    }
    if (kind !== "file") {
      problem(kfile, `${field} "${p}" ${kind === undefined ? "does not exist" : "is not a file"}`);
      return false;
    }
    const uses = tree.uses.get(p) ?? [];
    if (!uses.some((u) => JSON.stringify(u) === JSON.stringify(use))) uses.push(use);
    tree.uses.set(p, uses);
    if (tree.files.has(p)) return true;
    if (tree.files.size >= maxFiles) {
      if (tree.files.size === maxFiles) problem(kfile, `the build reaches more than ${maxFiles} files; refusing a tree that large`);
      return false;
    }
    if (!sizes.accept(p, await reader.size(p))) return false;
    tree.files.set(p, await reader.read(p));
    return true;
  };

  /** Transformer/generator/validator configs: builtin kinds only; functions and exec plugins are refused. */
  const checkPluginConfig = (kfile: string, field: string, where: string, text: string) => {
    for (const doc of parseAllDocuments(text)) {
      const body: unknown = doc.toJS();
      if (!isObject(body)) continue;
      const meta = isObject(body.metadata) ? body.metadata : {};
      const annotations = isObject(meta.annotations) ? meta.annotations : {};
      const kind = String(body.kind ?? "");
      if (FUNCTION_ANNOTATIONS.some((a) => a in annotations)) {
        problem(kfile, `${field} ${where}: ${kind || "a config"} is a KRM function (exec/container plugin); sealsync never runs plugins`);
      } else if (kind === "HelmChartInflationGenerator") {
        problem(kfile, `${field} ${where}: HelmChartInflationGenerator is refused; sealsync never runs helm (render the chart into the repository)`);
      } else if (!BUILTIN_KINDS.has(kind)) {
        problem(kfile, `${field} ${where}: ${kind || "(no kind)"} is not a builtin kustomize ${field.replace(/s$/, "")}; plugins are refused`);
      }
    }
  };

  const visitDir = async (dir: string, via: string, field: string): Promise<void> => {
    if (visitedDirs.has(dir)) return;
    visitedDirs.add(dir);
    const link = (await reader.kind(dir)) === "symlink" ? dir : await symlinkOnWay(dir || ".");
    if (link && dir) {
      problem(via, `${field} "${dir}" goes through the symlink ${link}; symlinks are never followed`);
      return;
    }
    const kfile = await kustomizationIn(reader, dir);
    if (!kfile) {
      problem(via, `${field} "${dir || "."}" is a folder without a kustomization.yaml`);
      return;
    }
    if (!(await addFile(via, field, kfile, { as: "kustomization" }))) return;
    let k: unknown;
    try {
      const docs = parseAllDocuments(Buffer.from(tree.files.get(kfile) as Uint8Array).toString("utf8"));
      if (docs.some((d) => d.errors.length > 0)) throw new Error("invalid YAML");
      k = docs[0]?.toJS();
    } catch {
      problem(kfile, "not valid YAML");
      return;
    }
    if (!isObject(k)) {
      problem(kfile, "a kustomization must be a mapping");
      return;
    }
    for (const f of HELM_FIELDS) {
      if (k[f] !== undefined) problem(kfile, `${f} is refused: sealsync never runs helm (render the chart into the repository)`);
    }

    // resources/bases/components: a file of manifests, or a folder with its own kustomization.
    for (const f of ["resources", "bases", "components"]) {
      for (const entry of strings(k[f])) {
        if (isRemoteRef(entry)) {
          problem(kfile, `${f} "${entry}" is a remote base; sealsync builds only what is in the repository (vendor it in)`);
          continue;
        }
        const p = resolve(kfile, dir, f, entry);
        if (p === undefined) continue;
        const kind = await reader.kind(p);
        if (kind === "dir") await visitDir(p, kfile, f);
        else await addFile(kfile, f, p, { as: "resource" });
      }
    }
    // patches: { path } or inline; patchesStrategicMerge: a path or an inline patch (multi-line).
    for (const f of ["patches", "patchesJson6902"]) {
      for (const item of objects(k[f])) {
        if (typeof item.path === "string") {
          const p = resolve(kfile, dir, f, item.path);
          if (p !== undefined) await addFile(kfile, f, p, { as: "patch" });
        }
      }
    }
    for (const entry of strings(k.patchesStrategicMerge)) {
      if (entry.includes("\n")) continue;
      const p = resolve(kfile, dir, "patchesStrategicMerge", entry);
      if (p !== undefined) await addFile(kfile, "patchesStrategicMerge", p, { as: "patch" });
    }
    // generators: files ("key=path" or "path") and envs.
    for (const [f, generatorKind] of [["secretGenerator", "Secret"], ["configMapGenerator", "ConfigMap"]] as const) {
      for (const gen of objects(k[f])) {
        for (const entry of strings(gen.files)) {
          const source = entry.includes("=") ? entry.slice(entry.indexOf("=") + 1) : entry;
          const p = resolve(kfile, dir, `${f} files`, source);
          if (p !== undefined) await addFile(kfile, `${f} files`, p, { as: "generator-file", generatorKind });
        }
        for (const entry of [...strings(gen.envs), ...strings(gen.env)]) {
          const p = resolve(kfile, dir, `${f} envs`, entry);
          if (p !== undefined) await addFile(kfile, `${f} envs`, p, { as: "generator-env", generatorKind });
        }
      }
    }
    // generators/transformers/validators: a config file, a folder (a kustomization of configs), or inline.
    for (const f of ["generators", "transformers", "validators"]) {
      for (const entry of strings(k[f])) {
        if (entry.includes("\n")) {
          checkPluginConfig(kfile, f, "(inline)", entry);
          continue;
        }
        if (isRemoteRef(entry)) {
          problem(kfile, `${f} "${entry}" is remote; sealsync builds only what is in the repository`);
          continue;
        }
        const p = resolve(kfile, dir, f, entry);
        if (p === undefined) continue;
        if ((await reader.kind(p)) === "dir") {
          await visitDir(p, kfile, f);
        } else if (await addFile(kfile, f, p, { as: "config" })) {
          checkPluginConfig(kfile, f, `"${entry}"`, Buffer.from(tree.files.get(p) as Uint8Array).toString("utf8"));
        }
      }
    }
    // Plain config files: field specs, CRD schemas, OpenAPI schema, replacements.
    for (const entry of [...strings(k.configurations), ...strings(k.crds)]) {
      const p = resolve(kfile, dir, "configurations", entry);
      if (p !== undefined) await addFile(kfile, "configurations", p, { as: "config" });
    }
    if (isObject(k.openapi) && typeof k.openapi.path === "string") {
      const p = resolve(kfile, dir, "openapi", k.openapi.path);
      if (p !== undefined) await addFile(kfile, "openapi", p, { as: "config" });
    }
    for (const item of objects(k.replacements)) {
      if (typeof item.path !== "string") continue;
      const p = resolve(kfile, dir, "replacements", item.path);
      if (p !== undefined) await addFile(kfile, "replacements", p, { as: "config" });
    }
  };

  await visitDir(root, "--path", "--path");
  sizes.check();
  tree.problems.sort();
  return tree;
}
