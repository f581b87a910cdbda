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

/** Starts a built service (`apps/<name>/dist/main.js`) as its own process, the way `star up` will. */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: { waitHealthy?: boolean; port?: number | undefined } = {},
): Promise<RunningService> {
  const port = options.port ?? (await freePort());
  const process = startProcess({
    name,
    command: 'node',
    args: [join(findRepoRoot(), 'apps', name, 'dist', 'main.js')],
    env: { STAR_PORT: String(port), STAR_INSTANCE_ID: `${name}-e2e`, ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  if (options.waitHealthy ?? true) await waitForHealth(url, 15_000);
  return { process, url, port };
}
