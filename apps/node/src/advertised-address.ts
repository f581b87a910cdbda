import { hostname } from 'node:os';

/** Listen hosts that mean "every interface": no peer can dial them. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The `host:port` this node registers for peers and clients when STAR_ADVERTISE_ADDRESS is not
 * set: the listen host, or, when it listens on every interface (as in a container), the machine's
 * hostname. That lets `docker compose up --scale node=N` replicas register themselves under their
 * container hostnames with no per-replica configuration.
 */
export function advertisedAddress(
  configured: string | undefined,
  bound: { host: string; port: number },
  machineHostname: string = hostname(),
): string {
  if (configured !== undefined) return configured;
  const host = WILDCARD_HOSTS.has(bound.host) ? machineHostname : bound.host;
  return `${host}:${bound.port}`;
}
