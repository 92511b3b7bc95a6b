/**
 * Which ServiceAccount sealsync runs as, so a revision can be refused when its pods would run as it.
 * Asked of the API server (a SelfSubjectReview, which every authenticated user may create), so it works
 * in a pod, with a kubeconfig token, or a client certificate alike, and cannot be spoofed by a file. One
 * request per client: the answer does not change while the credentials stay the same account.
 */
import { KubeApiError, type KubeClient } from "./client.js";

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

const asked = new WeakMap<KubeClient, Promise<ServiceAccountRef | undefined>>();

/** The ServiceAccount of the client's credentials; undefined for a user that is not one, or a server that will not say. */
export function ownServiceAccount(client: KubeClient): Promise<ServiceAccountRef | undefined> {
  let answer = asked.get(client);
  if (!answer) {
    answer = client.request<{ status?: { userInfo?: { username?: string } } }>("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }, review: true,
    }).then((res) => parseServiceAccount(res.body.status?.userInfo?.username ?? ""), (err: unknown) => {
      // Not allowed or not served: the server cannot say (pass --service-account). Anything else is transient: ask again next time.
      if (err instanceof KubeApiError && [403, 404].includes(err.status)) return undefined;
      asked.delete(client);
      throw err;
    });
    asked.set(client, answer);
  }
  return answer;
}

/** "system:serviceaccount:<namespace>:<name>" → its parts. */
export function parseServiceAccount(username: string): ServiceAccountRef | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return m ? { namespace: m[1] as string, name: m[2] as string } : undefined;
}
