/** `--listen [HOST:]PORT`: "9090", ":9090" (all interfaces), "127.0.0.1:9090", "[::1]:9090", "localhost:0". */

export interface ListenAddress {
  /** Undefined: every interface. */
  host?: string;
  port: number;
}

export class ListenAddressError extends Error {
  constructor(value: string, why: string) {
    super(`invalid listen address ${JSON.stringify(value.slice(0, 100))}: ${why}; use [HOST:]PORT, e.g. :9090 or 127.0.0.1:9090`);
    this.name = "ListenAddressError";
  }
}

export function parseListen(value: string): ListenAddress {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(value.trim());
  if (!m) throw new ListenAddressError(value, "not of the form [HOST:]PORT");
  const port = Number(m[2]);
  if (port > 65535) throw new ListenAddressError(value, "the port must be 0 to 65535");
  const host = m[1]?.replace(/^\[(.*)\]$/, "$1");
  return host ? { host, port } : { port };
}
