import type { StarClient } from '@star/client';
import { ChainMethods, type GetResponse, StarError } from '@star/protocol';
import { type HistoryRecorder, sleep } from '@star/testkit';
import type { Acknowledged } from './register-workload.js';

/** An acknowledged write a replica (or the linearizable read) no longer shows. */
export interface LostWrite {
  key: string;
  acknowledged: Acknowledged;
  where: string;
  found: { version: number; value: string } | null;
}

/**
 * After the faults: reads every key once more, recorded in the history (so the checker sees the
 * final state), and at every member of its chain straight over the node link. Each must show the
 * highest acknowledged write of the key or a newer one; anything older is a lost write.
 */
export async function checkFinalState(params: {
  client: StarClient;
  namespace: string;
  keys: string[];
  acknowledged: Map<string, Acknowledged>;
  history: HistoryRecorder;
}): Promise<{ lost: LostWrite[]; replicaReads: number }> {
  const { client, namespace, keys, acknowledged, history } = params;
  const lost: LostWrite[] = [];
  let replicaReads = 0;
  const shards = await client.shards(namespace);
  for (const key of keys) {
    const ack = acknowledged.get(key);
    const op = history.invoke('final', key, 'read', {});
    const record = await client.get(namespace, key).catch((error: unknown) => {
      if (StarError.from(error).code === 'NotFound') return null;
      throw error;
    });
    const seen =
      record === null ? null : { version: record.version, value: Buffer.from(record.value).toString() };
    op.ok(seen === null ? { value: null } : seen);
    if (ack !== undefined && isOlder(seen, ack))
      lost.push({ key, acknowledged: ack, where: 'read', found: seen });

    const shard = shards.find((s) => s.id === client.follower.map.route(namespace, key).id)!;
    for (const member of shard.chain) {
      const address = client.address(member);
      if (address === undefined) throw new Error(`no address for ${member}`);
      const response = await readReplica(client, address, shard.id, key);
      replicaReads++;
      const atReplica = response.found
        ? { version: response.version, value: Buffer.from(response.value).toString() }
        : null;
      if (ack !== undefined && isOlder(atReplica, ack)) {
        lost.push({ key, acknowledged: ack, where: `replica ${member}`, found: atReplica });
      }
    }
  }
  return { lost, replicaReads };
}

function isOlder(found: { version: number; value: string } | null, ack: Acknowledged): boolean {
  if (found === null || found.version < ack.version) return true;
  return found.version === ack.version && found.value !== ack.value;
}

/** A read at one replica, retried while it fails for a passing reason (a link redialing, a lease). */
async function readReplica(
  client: StarClient,
  address: string,
  shard: number,
  key: string,
): Promise<GetResponse> {
  const giveUpAt = Date.now() + 20_000;
  for (;;) {
    try {
      return await client.request<GetResponse>(address, ChainMethods.get, { shard, key }, 5_000);
    } catch (error) {
      const starError = StarError.from(error);
      if (!starError.retryable || Date.now() > giveUpAt) throw starError;
      await sleep(100);
    }
  }
}
