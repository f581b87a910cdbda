import type { RunningService } from '@star/testkit';
import { StarCluster } from '@star/testkit';

/** A cluster with one manager, three nodes, a namespace and a gateway, for the gateway's tests. */
export async function startGatewayCluster(options: {
  namespaces: { name: string; shards: number }[];
  nodes?: number;
  env?: Record<string, string>;
}): Promise<{ cluster: StarCluster; gateway: RunningService }> {
  const nodes = options.nodes ?? 3;
  const cluster = await StarCluster.start({
    managers: 1,
    nodes,
    ...(options.env ? { env: options.env } : {}),
  });
  await cluster.waitForNodes(nodes);
  const { url } = await cluster.leader();
  for (const namespace of options.namespaces) {
    await cluster.api(url, 'POST', '/v1/namespaces', { ...namespace, replicationFactor: Math.min(3, nodes) });
  }
  const gateway = await cluster.startGateway('g1');
  return { cluster, gateway };
}

/** `fetch` against a gateway with a path of raw segments (keys are percent-encoded by the caller). */
export function keyPath(namespace: string, key: string): string {
  return `/v1/namespaces/${namespace}/keys/${encodeURIComponent(key)}`;
}
