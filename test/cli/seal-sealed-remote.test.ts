/**
 * `seal recipients --from URL` and `--cert URL` against the sidecar's real HTTP server (startServer with a
 * publicKeys callback, on loopback), and against the real `sealsync run` with a key directory: a developer
 * gets the cluster's public keys and encrypts for it — SOPS for the age recipients, SealedSecrets for the
 * certificate — while every private key stays with the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { parse } from "yaml";
import { generateSealingKeyPair, type SealingKeyPair } from "../../src/crypto/sealed/index.js";
import { startServer, type PublicKeys, type RunningServer } from "../../src/server/index.js";
import { repoRoot } from "../env/assets.js";
import { createNamespace } from "../env/kube.js";
import { testEnvState } from "../env/state.js";
import { kubesealAsync, kubesealUnseal, sandbox, type Sandbox } from "./seal-helpers.js";

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: demo
stringData:
  password: remote-canary
`;

let sb: Sandbox;
let pair: SealingKeyPair;
let recipients: string[];
let keys: PublicKeys;
let server: RunningServer;

beforeAll(async () => {
  sb = sandbox();
  pair = await generateSealingKeyPair({ bits: 2048 });
  writeFileSync(path.join(sb.dir, "cluster.key"), pair.keyPem, { mode: 0o600 });
  recipients = [sb.ageKeygen(path.join(sb.dir, "cluster-1.agekey")), sb.ageKeygen(path.join(sb.dir, "cluster-2.agekey"))];
  keys = { recipients, certificatePem: pair.certPem };
  // The daemon's own server and handlers; only the key provider is the test's.
  server = await startServer({ listen: "127.0.0.1:0", isReady: () => ({ ready: true }), publicKeys: () => keys });
});

afterAll(async () => {
  await server?.close();
});

describe("seal recipients --from", () => {
  it("prints the age recipients and describes the certificate; -o writes the certificate", async () => {
    keys = { recipients, certificatePem: pair.certPem };
    const res = await sb.sealAsync(["recipients", "--from", server.url]);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe(`${recipients.join("\n")}\n`);
    expect(res.stderr).toMatch(/^sealing certificate of key SHA256:\S+, valid until \d{4}-\d\d-\d\d; save it with -o FILE\n$/);

    const saved = await sb.sealAsync(["recipients", "--from", `${server.url}/`, "-o", "cluster.crt"]);
    expect(saved).toMatchObject({ exitCode: 0, stdout: `${recipients.join("\n")}\n` });
    expect(saved.stderr).toMatch(/^wrote the sealing certificate of key SHA256:\S+, valid until \d{4}-\d\d-\d\d to cluster\.crt\n$/);
    expect(readFileSync(path.join(sb.dir, "cluster.crt"), "utf8").replace(/\r/g, "")).toBe(pair.certPem.replace(/\r/g, ""));

    const certOnly = await sb.sealAsync(["recipients", "--format", "sealed"], { env: { SEALSYNC_URL: server.url } });
    expect(certOnly).toMatchObject({ exitCode: 0, stderr: "" });
    expect(certOnly.stdout.replace(/\r/g, "")).toBe(pair.certPem.replace(/\r/g, ""));
    expect(await sb.sealAsync(["recipients", "--from", server.url, "--format", "sops"])).toEqual({
      exitCode: 0,
      stdout: `${recipients.join("\n")}\n`,
      stderr: "",
    });
  });

  it("lets a developer encrypt for the cluster: SOPS for the fetched recipients, SealedSecrets for the fetched certificate", async () => {
    keys = { recipients, certificatePem: pair.certPem };
    const fetched = await sb.sealAsync(["recipients", "--from", server.url, "--format", "sops"]);
    const age = fetched.stdout.trim().split("\n").join(",");
    writeFileSync(path.join(sb.dir, "db.yaml"), SECRET);
    expect((await sb.sealAsync(["encrypt", "--age", age, "-o", "db.enc.yaml", "db.yaml"])).exitCode).toBe(0);
    // Either cluster identity opens it, with the real sops.
    for (const id of ["cluster-1.agekey", "cluster-2.agekey"]) {
      const dec = sb.sops(["decrypt", "db.enc.yaml"], { env: { SOPS_AGE_KEY_FILE: path.join(sb.dir, id) } });
      expect(dec.exitCode).toBe(0);
      expect(parse(dec.stdout)).toMatchObject({ stringData: { password: "remote-canary" } });
    }

    // --cert takes the sidecar's URL, as the endpoint or as the bare address.
    for (const cert of [`${server.url}/v1/cert.pem`, server.url]) {
      const sealed = await sb.sealAsync(["encrypt", "--format", "sealed", "--cert", cert, "-"], { input: SECRET });
      expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
      const secret = kubesealUnseal(sealed.stdout, [path.join(sb.dir, "cluster.key")]);
      expect(secret.exitCode).toBe(0);
      expect(Buffer.from((JSON.parse(secret.stdout) as { data: { password: string } }).data.password, "base64").toString()).toBe("remote-canary");
    }
  });

  it("serves the real kubeseal --cert too, and seal decrypt opens what it sealed", async () => {
    keys = { recipients, certificatePem: pair.certPem };
    const url = `${server.url}/v1/cert.pem`;
    const sealed = await kubesealAsync(["--cert", url, "-o", "yaml"], SECRET);
    expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
    writeFileSync(path.join(sb.dir, "db.sealed.yaml"), sealed.stdout);
    const dec = await sb.sealAsync(["decrypt", "--key", "cluster.key", "db.sealed.yaml"]);
    expect(dec).toMatchObject({ exitCode: 0, stderr: "" });
    expect(Buffer.from((parse(dec.stdout) as { data: { password: string } }).data.password, "base64").toString()).toBe("remote-canary");
  });

  it("fails clearly: no keys served, nothing listening, an expired certificate", async () => {
    keys = { recipients: [] };
    expect(await sb.sealAsync(["recipients", "--from", server.url])).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `seal recipients: ${server.url} serves no public keys (age: this cluster has no age keys; use /v1/cert.pem (sealed format); ` +
        "certificate: this cluster has no sealing certificate; use /v1/recipients (age)); is it a sealsync sidecar with a keyring?\n",
    });
    const bare = await startServer({ listen: "127.0.0.1:0", isReady: () => ({ ready: true }) });
    const closedPort = new URL(bare.url).port;
    await bare.close();
    // Credentials in the URL are sent as Basic auth and never echoed.
    const refused = await sb.sealAsync(["recipients", "--from", `http://me:pw-canary@127.0.0.1:${closedPort}`]);
    expect(refused).toMatchObject({ exitCode: 1, stdout: "" });
    expect(refused.stderr).toBe(
      `seal recipients: GET http://127.0.0.1:${closedPort}/v1/recipients: cannot connect (ECONNREFUSED); is the sealsync sidecar reachable there? ` +
        "e.g. `kubectl port-forward -n NS deploy/APP 9090`\n",
    );
    const withAuth = await sb.sealAsync(["recipients", "--from", `http://me:pw-canary@${new URL(server.url).host}`, "--format", "sops"]);
    expect(withAuth).toMatchObject({ exitCode: 1, stdout: "" });
    expect(withAuth.stderr).not.toContain("pw-canary");

    const expired = await generateSealingKeyPair({ bits: 2048, notBefore: new Date(Date.now() - 10 * 86_400_000), validityDays: 1 });
    keys = { recipients, certificatePem: expired.certPem };
    const warned = await sb.sealAsync(["recipients", "--from", server.url, "-o", "old.crt"]);
    expect(warned.exitCode).toBe(0);
    expect(warned.stderr).toMatch(/^warning: the sealing certificate of key SHA256:\S+, expired on \d{4}-\d\d-\d\d: sealing with it will be refused\n/);
    const refusedSeal = await sb.sealAsync(["encrypt", "--format", "sealed", "--cert", server.url, "-"], { input: SECRET });
    expect(refusedSeal).toMatchObject({ exitCode: 1, stdout: "" });
    expect(refusedSeal.stderr).toMatch(new RegExp(`^seal encrypt: certificate of key SHA256:\\S+ \\(${server.url}/v1/cert\\.pem\\) expired on `));
  });
});

describe("seal against the real sealsync daemon", () => {
  it("fetches the public keys of the daemon's key directory and seals for it; the daemon's keys open the result", async () => {
    const namespace = await createNamespace("seal-remote");
    const keysDir = path.join(sb.dir, "daemon-keys");
    mkdirSync(keysDir, { mode: 0o700 });
    // The mounted key Secret: an RSA pair made by seal, and an age identity.
    expect(sb.seal(["keygen", "--rsa", "--bits", "2048", "--out-dir", keysDir]).exitCode).toBe(0);
    copyFileSync(path.join(sb.dir, "cluster-1.agekey"), path.join(keysDir, "keys.txt"));
    const manifests = path.join(sb.dir, "manifests");
    mkdirSync(manifests);
    writeFileSync(path.join(manifests, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n");

    const daemon = spawn(process.execPath, [path.join(repoRoot, "dist/cli/sealsync.js"), "run", "--dir", manifests, "--keys", keysDir,
      "-n", namespace, "--kubeconfig", testEnvState().controlPlane.adminKubeconfig, "--data-dir", path.join(sb.dir, "data"),
      "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the daemon did not start within 20 s")), 20_000);
        createInterface({ input: daemon.stdout! }).on("line", (line) => {
          const entry = JSON.parse(line) as { msg?: string; listen?: string };
          if (entry.msg === "sealsync started" && entry.listen) {
            clearTimeout(timer);
            resolve(entry.listen);
          }
        });
        daemon.once("exit", (code) => reject(new Error(`the daemon exited (${code})`)));
      });

      const res = await sb.sealAsync(["recipients", "--from", url, "-o", "cluster.crt"]);
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toBe(`${recipients[0]}\n`);
      const lf = (file: string) => readFileSync(file, "utf8").replace(/\r\n/g, "\n");
      expect(lf(path.join(sb.dir, "cluster.crt"))).toBe(lf(path.join(keysDir, "tls.crt")));

      const sealed = await sb.sealAsync(["encrypt", "--format", "sealed", "--cert", url, "-"], { input: SECRET });
      expect(sealed).toMatchObject({ exitCode: 0, stderr: "" });
      writeFileSync(path.join(sb.dir, "db.sealed.yaml"), sealed.stdout);
      const dec = await sb.sealAsync(["decrypt", "--key", path.join(keysDir, "tls.key"), "db.sealed.yaml"]);
      expect(dec).toMatchObject({ exitCode: 0, stderr: "" });
      expect(Buffer.from((parse(dec.stdout) as { data: { password: string } }).data.password, "base64").toString()).toBe("remote-canary");
    } finally {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        const exited = new Promise((resolve) => daemon.once("exit", resolve));
        daemon.kill("SIGTERM");
        await exited;
      }
    }
  });
});
