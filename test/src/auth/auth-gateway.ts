import { fileURLToPath } from 'node:url';
import { freePort, type RunningService, startProcess, waitForHealth } from '@star/testkit';

/** A real gateway process serving only the auth parts (see gateway-auth-service.mjs). */
export async function startAuthGateway(env: Record<string, string>): Promise<RunningService> {
  const port = await freePort();
  const process = startProcess({
    name: 'gateway-auth',
    command: 'node',
    args: [fileURLToPath(new URL('./gateway-auth-service.mjs', import.meta.url))],
    env: { STAR_PORT: String(port), STAR_INSTANCE_ID: 'gateway-auth', ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, 15_000);
  return { process, url, port };
}

export interface ErrorReply {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A JSON call with an optional bearer key; the status, headers and parsed body, whatever the status. */
export async function call<T = ErrorReply>(
  url: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; authorization?: string } = {},
): Promise<{ status: number; headers: Headers; body: T; text: string }> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: T;
  try {
    body = (text === '' ? undefined : JSON.parse(text)) as T;
  } catch {
    body = text as T;
  }
  return { status: response.status, headers: response.headers, body, text };
}
