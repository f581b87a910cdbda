import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@star/protocol';
import { freePort, type ServiceProcess, startProcess, waitForHealth } from '@star/testkit';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

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
    args: [`${repoRoot}apps/${name}/dist/main.js`],
    env: { STAR_PORT: String(port), STAR_INSTANCE_ID: `${name}-e2e`, ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  if (options.waitHealthy ?? true) await waitForHealth(url, 15_000);
  return { process, url, port };
}

export function parseLogLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
