import { StarCluster } from '@star/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const secret = 'failpoint-route-test-secret';
let cluster: StarCluster;

beforeAll(async () => {
  // API-key auth on (StarCluster's admin key) and a cluster secret: both guards at once.
  cluster = await StarCluster.start({ managers: 1, nodes: 1, env: { STAR_CLUSTER_SECRET: secret } });
});
afterAll(async () => {
  await cluster?.stop();
});

async function arm(url: string, bearer: string): Promise<number> {
  const response = await fetch(`${url}/internal/failpoints/manager.journal-tail`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'text/plain' },
    body: 'sleep(1)',
  });
  return response.status;
}

describe('the failpoint route under API-key auth', () => {
  it('arms a point on a manager and a node with the cluster secret, not with the admin key', async () => {
    const manager = cluster.managers.get('m1')!;
    const node = cluster.nodes.get('n1')!;
    expect(await arm(manager.url, secret)).toBe(200);
    expect(await arm(node.url, secret)).toBe(200);
    expect(await arm(manager.url, cluster.adminKey)).toBe(401);
    const listed = await fetch(`${manager.url}/internal/failpoints`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(await listed.json()).toEqual({
      failpoints: { 'manager.journal-tail': { action: { kind: 'sleep', ms: 1 } } },
    });
  });
});
