/**
 * $KUBECONFIG with several files is read as kubectl reads it: every file, the first value of each name
 * wins, the first non-empty current-context wins, relative paths resolve against their own file —
 * for token users and for exec plugins (which client-node runs) alike. Checked against the real apiserver.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeClient, loadKubeConfig } from "../../src/kube/client.js";
import { testEnvState } from "../env/state.js";

const saved = process.env.KUBECONFIG;
afterEach(() => {
  if (saved === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = saved;
});

async function namespaceStatus(): Promise<number> {
  const client = new KubeClient(loadKubeConfig());
  try {
    return (await client.request("GET", "/api/v1/namespaces/default")).status;
  } finally {
    client.close();
  }
}

function files(dir: string, docs: Record<string, object>): string {
  for (const [name, doc] of Object.entries(docs)) writeFileSync(path.join(dir, name), JSON.stringify(doc));
  return Object.keys(docs).map((n) => path.join(dir, n)).join(path.delimiter);
}

describe("$KUBECONFIG with several files", () => {
  const { server, caFile, adminToken } = testEnvState().controlPlane;

  it("merges them: context in the first, cluster and user in the second; the first definition of a name wins", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
    process.env.KUBECONFIG = [
      files(dir, {
        "a.yaml": { "current-context": "split", contexts: [{ name: "split", context: { cluster: "real", user: "admin", namespace: "from-a" } }] },
      }),
      path.join(dir, "missing.yaml"), // a file that does not exist is skipped, as kubectl does
      files(dir, {
        "b.yaml": {
          "current-context": "other",
          clusters: [{ name: "real", cluster: { server, "certificate-authority": caFile } }],
          users: [{ name: "admin", user: { token: adminToken } }],
          contexts: [{ name: "split", context: { cluster: "nowhere", user: "nobody", namespace: "from-b" } }],
        },
        "c.yaml": { users: [{ name: "admin", user: { token: "not-the-first-value" } }] },
      }),
    ].join(path.delimiter);
    const cfg = loadKubeConfig();
    expect(cfg).toMatchObject({ server, namespace: "from-a" });
    expect(await namespaceStatus()).toBe(200);
  });

  it("an exec plugin defined in a later file gets its credential through the merged config", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kubeconfig-exec-"));
    const credential = { apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: adminToken } };
    writeFileSync(path.join(dir, "plugin.mjs"), `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
    process.env.KUBECONFIG = files(dir, {
      "a.yaml": { "current-context": "exec", contexts: [{ name: "exec", context: { cluster: "real", user: "plugin" } }],
        clusters: [{ name: "real", cluster: { server, "certificate-authority": caFile } }] },
      "b.yaml": { users: [{ name: "plugin", user: { exec: {
        apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: [path.join(dir, "plugin.mjs")], interactiveMode: "Never",
      } } }] },
    });
    expect(await namespaceStatus()).toBe(200);
  });
});
