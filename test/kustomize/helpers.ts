/** Kustomize test helpers: trees written to a folder, files encrypted by the real sops, sealed by the real kubeseal. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";

/** Writes files (path → content; `{ symlink }` makes a link) into a fresh folder and returns it. */
export function writeTree(files: Record<string, string | { symlink: string }>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-ktree-"));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    if (typeof content === "string") writeFileSync(path.join(dir, p), content);
    else symlinkSync(content.symlink, path.join(dir, p));
  }
  return dir;
}

/** Encrypts a file with the real sops for the age recipient, in the format its name says (.env → dotenv). */
export function sopsEncryptAs(name: string, content: string, recipient: string, extra: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-sops-"));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  const res = run(testAssets().sops, ["encrypt", "--age", recipient, ...extra, file]);
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return res.stdout;
}

export function kubeseal(secretYaml: string, namespace: string, certFile: string): string {
  const res = run(testAssets().kubeseal, ["--cert", certFile, "--format", "yaml", "--namespace", namespace], { input: secretYaml });
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return res.stdout;
}

export const kustomization = (body: Record<string, unknown>) => JSON.stringify(body, null, 2);
