import { join } from 'node:path';
import type { ServiceName } from '@star/protocol';
import { freePort } from '../free-port.js';
import { waitForHealth } from '../health.js';
import { findRepoRoot } from '../repo-root.js';
import { type ServiceProcess, startProcess } from '../service-process.js';

export interface RunningService {
  process: ServiceProcess;
  url: string;
  port: number;
}

/** Where a service runs: a network lab host (its namespace and address); default 127.0.0.1 here. */
export interface ServiceHost {
  namespace: string;
  address: string;
}

/** Starts a built service (`apps/<name>/dist/main.js`) as its own process, the way `star up` will. */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: { waitHealthy?: boolean; port?: number | undefined; host?: ServiceHost | undefined } = {},
): Promise<RunningService> {
  // A lab host's namespace is empty: a port free here is free there too.
  const port = options.port ?? (await freePort());
  const { host } = options;
  const process = startProcess({
    name,
    command: 'node',
    args: [join(findRepoRoot(), 'apps', name, 'dist', 'main.js')],
    env: {
      STAR_PORT: String(port),
      STAR_INSTANCE_ID: `${name}-e2e`,
      ...(host === undefined ? {} : { STAR_HOST: host.address }),
      ...env,
    },
    ...(host === undefined ? {} : { netns: host.namespace }),
  });
  const url = `http://${host?.address ?? '127.0.0.1'}:${port}`;
  if (options.waitHealthy ?? true) await waitForHealth(url, 15_000);
  return { process, url, port };
}
