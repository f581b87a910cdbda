import { Redis } from 'ioredis';

/** What a Redis process (default on 127.0.0.1) says it is (`ROLE`): `master`, `slave`, `sentinel`, or `down`. */
export async function redisRole(port: number, timeoutMs = 1_000, host = '127.0.0.1'): Promise<string> {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return String(((await client.call('ROLE')) as unknown[])[0]);
  } catch {
    return 'down';
  } finally {
    client.disconnect();
  }
}
