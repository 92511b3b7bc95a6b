/** Shared by the safety tests (issue 11): encrypting any field with the real sops, and hunting for planted values. */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeClient, loadKubeConfig, type KubeObject } from "../../src/kube/client.js";
import { testAssets } from "../env/assets.js";
import { run } from "../env/run.js";
import { testEnvState } from "../env/state.js";

/** Encrypts the values under keys matching `regex` (sops --encrypted-regex) with the real sops. */
export function sopsEncryptFields(yaml: string, recipient: string, regex: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sealsync-sops-"));
  const file = path.join(dir, "doc.yaml");
  writeFileSync(file, yaml);
  const res = run(testAssets().sops, ["encrypt", "--age", recipient, "--encrypted-regex", regex, file]);
  if (res.exitCode !== 0) throw new Error(res.stderr);
  return res.stdout;
}

export const admin = () => new KubeClient(loadKubeConfig(testEnvState().controlPlane.adminKubeconfig));

/** Every file under a directory, as text (binary files too: a planted value must not be in them either). */
export function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push({ file: p, text: readFileSync(p).toString("latin1") });
    }
  };
  walk(dir);
  return out;
}

/** Event messages in the namespace, as `kubectl get events` (the built-in `view` role) shows them. */
export async function eventMessages(namespace: string): Promise<string[]> {
  const { body } = await admin().request<{ items: { reason?: string; message?: string; note?: string }[] }>("GET", `/api/v1/namespaces/${namespace}/events`);
  return body.items.map((e) => `${e.reason ?? ""}: ${e.message ?? e.note ?? ""}`);
}

export async function getObject(pathName: string): Promise<KubeObject | undefined> {
  const res = await admin().request<KubeObject>("GET", pathName, { allow: [404] });
  return res.status === 404 ? undefined : res.body;
}

/** Where (by label) any of the planted values shows up in the given texts; [] when nowhere. */
export function leaks(planted: string[], places: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(places)) {
    for (const v of planted) if (text.includes(v)) found.push(`${v} in ${where}`);
  }
  return found;
}
