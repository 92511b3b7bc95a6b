/**
 * What a sync runs against, built once where a command starts (src/cli/sealsync/context.ts) and handed
 * down: the source of revisions, the Kube client, the keyring and the options of every reconcile.
 */
import type { Keyring } from "../crypto/keyring.js";
import type { KubeClient } from "../kube/client.js";
import type { Source } from "../source/revision.js";
import type { ReconcileOptions } from "./sync.js";

export interface SyncContext {
  source: Source;
  client: KubeClient;
  namespace: string;
  keyring?: Keyring;
  reconcileOptions: ReconcileOptions;
  close(): Promise<void>;
}
