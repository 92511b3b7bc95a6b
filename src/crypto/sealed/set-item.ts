/**
 * One item of an existing SealedSecret sealed anew (`seal set` on a SealedSecret): with the public
 * certificate only, under the object's own scope, namespace and name, so the other items stay as they are.
 */
import type { SealedWhere } from "./errors.js";
import { sealRaw } from "./seal.js";
import { readSealedSecret } from "./sealed-secret.js";
import type { SealingCertificate } from "./certificate.js";

export function sealItemFor(doc: unknown, value: Uint8Array, cert: string | SealingCertificate, where?: SealedWhere, options: { defaultNamespace?: string; now?: Date } = {}): string {
  // allowTemplateData: setting an item does not render the template, so template data is no obstacle.
  const ss = readSealedSecret(doc, where, { allowTemplateData: true, defaultNamespace: options.defaultNamespace });
  return sealRaw(value, cert, { scope: ss.scope, name: ss.name, namespace: ss.namespace, now: options.now });
}
