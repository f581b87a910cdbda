import { LinkRouter } from '@star/core';
import { pino } from 'pino';
import { PeerLinks } from '../peer-links.js';
import type { ReplicaContext } from '../shard-replica.js';

/** A replica context for unit tests: a valid lease, no control plane, no metrics, no peers dialed. */
export function replicaTestContext(nodeId: string, overrides: Partial<ReplicaContext> = {}): ReplicaContext {
  const logger = pino({ level: 'silent' });
  return {
    nodeId,
    peers: new PeerLinks({ router: new LinkRouter(), secret: '', logger }),
    logger,
    leaseValidForMs: () => 10_000,
    fetchConfig: async () => undefined,
    metrics: { onRead: () => {}, onAppendBatch: () => {} },
    maxValueBytes: 1024,
    ...overrides,
  };
}
