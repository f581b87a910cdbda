import { type RunningService, StarCluster, startService } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cluster: StarCluster;
const others: RunningService[] = [];

beforeAll(async () => {
  cluster = await StarCluster.start({ managers: 2, nodes: 2 });
  for (const name of ['gateway', 'checkpointer'] as const) {
    others.push(await startService(name, { STAR_REDIS_URL: cluster.redis.url }));
  }
});
afterAll(async () => {
  for (const service of others) await service.process.stop();
  await cluster.stop();
});

describe('runtime config sync', () => {
  it('a change through the manager API reaches every running service within a second', async () => {
    const { url } = await cluster.leader();
    const services = [...cluster.managers.values(), ...cluster.nodes.values(), ...others];
    const changed = await cluster.api<{ version: number }>(url, 'PUT', '/v1/config', {
      requestTimeoutMs: 4321,
      balance: false,
    });
    const sentAt = Date.now();
    const pending = new Set(services.map((service) => service.url));
    while (pending.size > 0 && Date.now() - sentAt < 1_000) {
      for (const serviceUrl of [...pending]) {
        const view = await cluster.api<{ version: number; settings: { requestTimeoutMs: number } }>(
          serviceUrl,
          'GET',
          '/runtime-config',
        );
        if (view.version >= changed.version && view.settings.requestTimeoutMs === 4321)
          pending.delete(serviceUrl);
      }
    }
    expect([...pending]).toEqual([]);
    const read = await cluster.api<{ settings: { balance: boolean } }>(url, 'GET', '/v1/config');
    expect(read.settings.balance).toBe(false);
  });

  it('refuses an invalid change with a 400 naming the setting, and changes on a follower with 421', async () => {
    const { url, id } = await cluster.leader();
    const before = await cluster.api<{ version: number }>(url, 'GET', '/v1/config');
    const invalid = await fetch(`${url}/v1/config`, {
      method: 'PUT',
      headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ requestTimeoutMs: 'soon' }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { message: string }).message).toMatch(/requestTimeoutMs/);
    const unknown = await fetch(`${url}/v1/config`, {
      method: 'PUT',
      headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ colour: 'blue' }),
    });
    expect(unknown.status).toBe(400);
    const follower = [...cluster.managers].find(([managerId]) => managerId !== id)![1];
    const redirected = await fetch(`${follower.url}/v1/config`, {
      method: 'PUT',
      headers: { ...cluster.authHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ balance: true }),
    });
    expect(redirected.status).toBe(421);
    expect((await cluster.api<{ version: number }>(url, 'GET', '/v1/config')).version).toBe(before.version);
  });
});
