import type { StarClient } from '@star/client';
import type { StarRecord, StarScanSource } from '@star/connectors';

/**
 * The `star` connector's view of this cluster, through the gateway's own client: namespaces from
 * the shard map, scans as pages of the cross-shard listing (global key order, so ORDER BY key and
 * LIMIT push down).
 */
export function clientScanSource(client: StarClient, pageSize = 1_000): StarScanSource {
  return {
    ordered: true,
    listNamespaces: async () =>
      (await client.namespaces()).map(({ name, shards, replicationFactor }) => ({
        name,
        shards,
        replicationFactor,
      })),
    async *scan(params): AsyncGenerator<StarRecord> {
      const options = {
        values: true,
        limit: Math.min(pageSize, params.limit ?? pageSize),
        ...(params.prefix === undefined ? {} : { prefix: params.prefix }),
        ...(params.start === undefined ? {} : { start: params.start }),
        ...(params.end === undefined ? {} : { end: params.end }),
      };
      for await (const record of client.scan(params.namespace, options)) {
        params.signal?.throwIfAborted();
        yield {
          key: record.key,
          value: record.value ?? new Uint8Array(),
          ...(record.contentType === undefined ? {} : { contentType: record.contentType }),
          version: record.version,
          createdAt: record.createdAt,
          modifiedAt: record.modifiedAt,
          modifications: record.modifications,
        };
      }
    },
    health: async () => {
      await client.namespaces();
    },
  };
}
