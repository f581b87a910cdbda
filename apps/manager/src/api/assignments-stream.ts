import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { MetadataEntry } from '../metadata/journal-entries.js';
import type { MetadataStore } from '../metadata/metadata-store.js';

/** Entries that change where shards live or how to reach nodes. */
const ASSIGNMENT_ENTRIES = new Set<MetadataEntry['type']>([
  'namespace.created',
  'namespace.deleted',
  'shard.reconfigured',
  'node.registered',
  'node.state',
  'node.removed',
]);

/**
 * WebSocket `/v1/assignments`: the full shard map on connect, then every change after it, each
 * message with the journal id it reflects as `version`, so gateways and clients can follow the map
 * (and tell from the version whether they missed nothing).
 */
export async function assignmentsStream(
  app: FastifyInstance,
  options: { store: MetadataStore },
): Promise<void> {
  const { store } = options;
  if (!app.hasDecorator('websocketServer')) await app.register(websocket);

  const snapshot = () => ({
    type: 'snapshot' as const,
    version: store.state.lastEntryId,
    namespaces: [...store.state.namespaces.values()],
    shards: [...store.state.shards.values()].sort((a, b) => a.id - b.id),
    nodes: [...store.state.nodes.values()],
  });

  app.get('/v1/assignments', { websocket: true }, (socket) => {
    socket.on('error', () => socket.terminate());
    socket.send(JSON.stringify(snapshot()));
    const onApplied = (entry: MetadataEntry, id: string) => {
      if (!ASSIGNMENT_ENTRIES.has(entry.type) || socket.readyState !== socket.OPEN) return;
      const change =
        entry.type === 'shard.reconfigured'
          ? { shard: store.state.shards.get(entry.data.id) }
          : entry.type === 'namespace.created'
            ? { namespace: entry.data.namespace, shards: entry.data.shards }
            : entry.type === 'node.registered' || entry.type === 'node.state'
              ? {
                  node: store.state.nodes.get(
                    entry.type === 'node.registered' ? entry.data.node.id : entry.data.id,
                  ),
                }
              : entry.data;
      socket.send(JSON.stringify({ type: 'change', version: id, entry: entry.type, ...change }));
    };
    // Rebuilt from an image (this manager had fallen behind a journal trim): resend the whole map.
    const onRebuilt = () => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(snapshot()));
    };
    store.on('applied', onApplied);
    store.on('rebuilt', onRebuilt);
    socket.on('close', () => {
      store.off('applied', onApplied);
      store.off('rebuilt', onRebuilt);
    });
  });
}
