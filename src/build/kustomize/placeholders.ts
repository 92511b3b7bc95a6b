/**
 * Placeholders: what kustomize sees instead of a secret value. Each is an HMAC (key kept in the cluster)
 * of where the value came from and the value itself, so it changes exactly when the value changes — a
 * re-encryption keeps it, and so keeps a generated name's hash suffix — and reveals nothing without the key.
 * Its alphabet is base64's and its length a multiple of 4, so it also passes as base64 `data`.
 * After the build, `reveal` puts the values back into the objects, in memory, and refuses any placeholder
 * that landed in an object other than the one it came from (e.g. copied into a ConfigMap by `replacements`).
 */
import { createHmac } from "node:crypto";

const PREFIX = "sealsyncph";
const PATTERN = /sealsyncph[0-9a-f]{38}/g;
const HAS = /sealsyncph[0-9a-f]{38}/;

export interface Origin {
  /** Kind of the object the value belongs to ("Secret" for generators and SealedSecrets). */
  kind: string;
  /** Repository file it was read from. */
  file: string;
  format: "sops" | "sealed";
  keyId: string;
}

/** A value: typed JSON from a manifest leaf, or bytes from a generator source. */
type Plain = unknown;

export interface Revealed {
  body: Record<string, unknown>;
  /** The origins of the values put back, when any were. */
  origins: Origin[];
}

export class PlaceholderLeakError extends Error {
  override name = "PlaceholderLeakError";
}

export class Placeholders {
  readonly #values = new Map<string, { origin: Origin; value: Plain }>();
  /** Placeholder → the one built object it was found in ("Kind/name"). */
  readonly #seenIn = new Map<string, string>();

  constructor(private readonly key: Uint8Array) {}

  /** The placeholder of a value; `at` names where in the origin it sits (a field path or an env key). */
  make(origin: Origin, at: string, value: Plain): string {
    const bytes = value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(JSON.stringify(value));
    const mac = createHmac("sha256", this.key).update("sealsync kustomize placeholder v1\0")
      .update(origin.file).update("\0").update(at).update("\0").update(bytes).digest("hex");
    const placeholder = PREFIX + mac.slice(0, 38);
    this.#values.set(placeholder, { origin, value });
    return placeholder;
  }

  get size(): number {
    return this.#values.size;
  }

  /**
   * Puts the values back into one built object; throws PlaceholderLeakError when a placeholder is in an
   * object of another kind, or in a second object.
   */
  reveal(obj: Record<string, unknown>): Revealed {
    const kind = String(obj.kind ?? "");
    const meta = (obj.metadata ?? {}) as Record<string, unknown>;
    const subject = `${kind}/${String(meta.name ?? "")}`;
    const origins = new Set<Origin>();
    const claim = (ph: string): Plain => {
      const hit = this.#values.get(ph);
      if (!hit) throw new PlaceholderLeakError(`${subject} holds a placeholder sealsync did not make; refusing the build`);
      if (hit.origin.kind !== kind) {
        throw new PlaceholderLeakError(`${subject} received a value of an encrypted ${hit.origin.kind} from ${hit.origin.file} ` +
          "(copied by replacements, a patch or a generator?); encrypted values may only stay in the object they came from");
      }
      const before = this.#seenIn.get(ph);
      if (before && before !== subject) {
        throw new PlaceholderLeakError(`${subject} and ${before} both received the same encrypted value from ${hit.origin.file}; ` +
          "encrypted values may only stay in the object they came from");
      }
      this.#seenIn.set(ph, subject);
      origins.add(hit.origin);
      return hit.value;
    };
    const asText = (v: Plain) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "string" ? v : JSON.stringify(v));
    const asBytes = (v: Plain) => (v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(asText(v), "utf8"));

    const inString = (s: string): Plain => {
      const whole = s.match(PATTERN);
      if (whole?.length === 1 && whole[0] === s) {
        const v = claim(s);
        return v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : v;
      }
      return s.replace(PATTERN, (ph) => asText(claim(ph)));
    };
    /** base64 text holding a placeholder (a generator's `data`, or one copied elsewhere): decode, reveal, encode. */
    const inBase64 = (s: string): string | undefined => {
      if (s.length < 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
      const decoded = Buffer.from(s, "base64");
      const text = decoded.toString("latin1");
      if (!HAS.test(text)) return undefined;
      if (/^sealsyncph[0-9a-f]{38}$/.test(text)) return asBytes(claim(text)).toString("base64");
      const parts: Buffer[] = [];
      let last = 0;
      for (const m of text.matchAll(PATTERN)) {
        parts.push(decoded.subarray(last, m.index), asBytes(claim(m[0])));
        last = (m.index ?? 0) + m[0].length;
      }
      parts.push(decoded.subarray(last));
      return Buffer.concat(parts).toString("base64");
    };
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") {
        return HAS.test(v) ? inString(v) : inBase64(v) ?? v;
      }
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
      return v;
    };
    const body = walk(obj) as Record<string, unknown>;
    return { body, origins: [...origins] };
  }
}
