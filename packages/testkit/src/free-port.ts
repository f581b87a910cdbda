import getPort, { type Options as GetPortOptions } from 'get-port';

export type { GetPortOptions };

/** A TCP port that is free right now on 127.0.0.1 (get-port also locks it in-process for a while). */
export function freePort(options: GetPortOptions = {}): Promise<number> {
  return getPort({ host: '127.0.0.1', ...options });
}
