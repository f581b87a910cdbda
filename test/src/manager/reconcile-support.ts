import { StarClient } from '@star/client';
import type { Shard } from '@star/protocol';
import { StarCluster, waitFor } from '@star/testkit';

export async function startCluster(options: {
  managers: number;
  nodes: number;
  nodeLeaseMs?: number;
  env?: Record<string, string>;
}): Promise<StarCluster> {
  const cluster = await StarCluster.start(options);
  await cluster.waitForNodes(options.nodes);
  return cluster;
}

/** Creates a one-shard namespace and a client following the shard map. */
export async function oneShard(
  c: StarCluster,
  name: string,
  replicationFactor: number,
): Promise<{ shard: Shard; client: StarClient }> {
  const { url } = await c.leader();
  const { shards } = await c.api<{ shards: Shard[] }>(url, 'POST', '/v1/namespaces', {
    name,
    shards: 1,
    replicationFactor,
  });
  return { shard: shards[0]!, client: await connectClient(c) };
}

/** A client following the shard map through every manager started so far. */
export function connectClient(c: StarCluster, clusterSecret?: string): Promise<StarClient> {
  return StarClient.connect({
    managers: c.managerUrls,
    apiKey: c.adminKey,
    requestTimeoutMs: 3_000,
    ...(clusterSecret === undefined ? {} : { clusterSecret }),
  });
}

/** The journal's view of one shard, as the leader serves it. */
export async function journaledShard(c: StarCluster, id: number): Promise<Shard> {
  const { url } = await c.leader();
  const { shards } = await c.api<{ shards: Shard[] }>(url, 'GET', '/v1/shards');
  return shards.find((s) => s.id === id)!;
}

/** Waits until a write to the namespace is acknowledged; returns the error codes seen meanwhile. */
export async function waitWritable(
  client: StarClient,
  namespace: string,
  key: string,
  value: string,
  timeoutMs: number,
): Promise<string[]> {
  const errors: string[] = [];
  await waitFor(
    async () => {
      try {
        await client.put(namespace, key, value);
        return true;
      } catch (error) {
        errors.push((error as { code?: string }).code ?? String(error));
        return false;
      }
    },
    {
      description: `a write to ${namespace} to be acknowledged (errors: ${[...new Set(errors)].join(', ')})`,
      timeoutMs,
    },
  );
  return errors;
}
