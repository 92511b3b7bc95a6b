/**
 * The keyring reading labelled key Secrets through the real kube-apiserver, as the sidecar would with a
 * namespace-scoped Role: sealsync's label and the Sealed Secrets controller's label both count while
 * `active`; relabelling retires a key; missing RBAC is a clear error.
 */
import { describe, expect, it } from "@jest/globals";
import { CoreV1Api, type V1Secret } from "@kubernetes/client-node";
import { loadKubeConfig, type KubeConfig } from "../../src/kube/client.js";
import { testEnvState } from "../env/state.js";
import { Keyring, KeyringLoadError, type KeyringChange } from "../../src/crypto/keyring.js";
import {
  SEALED_SECRETS_KEY_LABEL, generateSealingKeyPair, keySecretManifest, loadRsaKey, sealSecret, unsealSealedSecret,
} from "../../src/crypto/sealed/index.js";
import { testAssets } from "../env/assets.js";
import { adminKubeConfig, createNamespace, createNamespacedUser } from "../env/kube.js";
import { run } from "../env/run.js";
import { secret, values } from "./sealed/helpers.js";

const SECRETS_READER = [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }];

function userConfig(kubeconfig: string): KubeConfig {
  return loadKubeConfig(kubeconfig);
}

describe("Keyring over labelled key Secrets", () => {
  it("loads sealsync- and controller-labelled keys (and age identities), ignores retired and unlabelled ones, and follows relabelling", async () => {
    const ns = await createNamespace("keyring");
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const [ours, controllers, retired, stray] = await Promise.all([1, 2, 3, 4].map(() => generateSealingKeyPair({ bits: 2048 })));
    const age = run(testAssets().ageKeygen, []).stdout;

    // sealsync's own key Secret, with an age identity alongside the RSA pair.
    const mine = keySecretManifest({ ...ours!, name: "sealsync-key", namespace: ns, labels: ["sealsync"] });
    mine.data!["keys.txt"] = Buffer.from(age).toString("base64");
    // A key Secret exactly as the controller creates it: generateName, only the upstream label.
    const upstream: V1Secret = {
      metadata: { generateName: "sealed-secrets-key", labels: { [SEALED_SECRETS_KEY_LABEL]: "active" } },
      type: "kubernetes.io/tls",
      data: { "tls.crt": Buffer.from(controllers!.certPem).toString("base64"), "tls.key": Buffer.from(controllers!.keyPem).toString("base64") },
    };
    const compromised = keySecretManifest({ ...retired!, name: "old-key", namespace: ns });
    compromised.metadata.labels = { [SEALED_SECRETS_KEY_LABEL]: "compromised" };
    const unlabelled = keySecretManifest({ ...stray!, name: "not-a-key-secret", namespace: ns, labels: [] });
    await core.createNamespacedSecret({ namespace: ns, body: mine as V1Secret });
    const created = await core.createNamespacedSecret({ namespace: ns, body: upstream });
    await core.createNamespacedSecret({ namespace: ns, body: compromised as V1Secret });
    await core.createNamespacedSecret({ namespace: ns, body: unlabelled as V1Secret });

    const user = await createNamespacedUser(ns, SECRETS_READER);
    const ring = await Keyring.open({ kube: { kubeConfig: userConfig(user.kubeconfig), namespace: ns }, resyncIntervalMs: 0 });
    try {
      const [oursId, controllersId] = [ours!, controllers!].map((p) => loadRsaKey(p.keyPem, "x").id);
      expect(new Set(ring.rsaKeys().map((k) => k.id))).toEqual(new Set([oursId, controllersId]));
      expect(ring.keys()).toEqual(expect.arrayContaining([
        { id: controllersId, kind: "rsa", source: `secret ${ns}/${created.metadata!.name}/tls.key` },
        { id: oursId, kind: "rsa", source: `secret ${ns}/sealsync-key/tls.key` },
      ]));
      expect(ring.ageIdentities()).toHaveLength(1);

      // A SealedSecret sealed by the controller's certificate unseals with the keyring.
      const sealed = sealSecret(secret("db", "shop", { password: "from-the-controller" }), controllers!.certPem);
      const opened = unsealSealedSecret(sealed, ring.rsaKeys(), { file: "apps/db.yaml" });
      expect(values(opened.object).password!.toString()).toBe("from-the-controller");
      expect(opened.keyId).toBe(controllersId);

      // Retire the controller key the upstream way: relabel it.
      await core.patchNamespacedSecret({
        name: created.metadata!.name!, namespace: ns,
        body: [{ op: "replace", path: `/metadata/labels/${SEALED_SECRETS_KEY_LABEL.replace("/", "~1")}`, value: "compromised" }],
      });
      const reloaded = new Promise<KeyringChange>((resolve) => ring.once("reload", resolve));
      const change = await ring.reload();
      expect(change.removed.map((k) => k.id)).toEqual([controllersId]);
      expect(await reloaded).toEqual(change);
      expect(() => unsealSealedSecret(sealed, ring.rsaKeys(), { file: "apps/db.yaml" })).toThrow(
        `no key could decrypt item password of SealedSecret shop/db; tried keys ${oursId}`);
    } finally {
      await ring.close();
    }
  });

  it("says which permission is missing when the ServiceAccount cannot list Secrets", async () => {
    const ns = await createNamespace("keyring");
    const user = await createNamespacedUser(ns, [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]);
    const opening = Keyring.open({ kube: { kubeConfig: userConfig(user.kubeconfig), namespace: ns }, resyncIntervalMs: 0 });
    await expect(opening).rejects.toThrow(KeyringLoadError);
    await expect(opening).rejects.toThrow(`key source namespace ${ns}: forbidden: grant get and list on secrets in this namespace`);
  });

  it("refuses a labelled key Secret that does not hold a usable key, naming it", async () => {
    const ns = await createNamespace("keyring");
    const pair = await generateSealingKeyPair({ bits: 2048 });
    const bad = keySecretManifest({ ...pair, name: "half-key", namespace: ns });
    bad.data!["tls.key"] = Buffer.from("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n").toString("base64");
    await adminKubeConfig().makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: ns, body: bad as V1Secret });
    await expect(Keyring.open({ kube: { kubeConfig: userConfig(testEnvState().controlPlane.adminKubeconfig), namespace: ns }, resyncIntervalMs: 0 })).rejects.toThrow(
      `key source secret ${ns}/half-key/tls.key: the private key PEM does not parse`);
  });
});
