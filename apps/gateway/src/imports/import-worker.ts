import type { StarClient } from '@star/client';
import {
  executeScan,
  type ImportCheckpoint,
  type ImportJobData,
  planScan,
  resumeQuery,
} from '@star/connectors';
import type { Logger } from '@star/core';
import { StarError } from '@star/protocol';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CatalogConnections } from '../catalogs/catalog-connections.js';
import { ImportQueueName, ImportQueuePrefix } from './import-queue.js';

/**
 * Runs imports: scans the catalog table ordered by the key column, writes rows in batches through
 * the gateway's client, and after each acknowledged batch records the last key as the job's
 * checkpoint. A worker that dies loses its lock; BullMQ hands the job to another gateway, which
 * resumes after the checkpoint. The batch in flight may be written twice, but as the same key and
 * value: the namespace ends with exactly one key per source row.
 */
export class ImportWorker {
  readonly #worker: Worker<ImportJobData, ImportCheckpoint>;
  readonly #logger: Logger;

  constructor(params: {
    connection: Redis;
    connections: CatalogConnections;
    client: StarClient;
    logger: Logger;
    lockDurationMs: number;
  }) {
    this.#logger = params.logger.child({ component: 'import-worker' });
    this.#worker = new Worker<ImportJobData, ImportCheckpoint>(
      ImportQueueName,
      (job) => this.#run(job, params.connections, params.client),
      {
        connection: params.connection,
        prefix: ImportQueuePrefix,
        concurrency: 1,
        lockDuration: params.lockDurationMs,
        stalledInterval: params.lockDurationMs,
        maxStalledCount: 3,
      },
    );
    this.#worker.on('error', (error) => this.#logger.warn({ err: error }, 'import worker error'));
    this.#worker.on('stalled', (id) =>
      this.#logger.warn({ job: id }, 'import stalled: its worker died; resuming'),
    );
  }

  async #run(
    job: Job<ImportJobData, ImportCheckpoint>,
    connections: CatalogConnections,
    client: StarClient,
  ): Promise<ImportCheckpoint> {
    const { catalog, request } = job.data;
    const checkpoint: ImportCheckpoint = job.data.checkpoint ?? {
      lastKey: null,
      rows: 0,
      bytes: 0,
      skippedNullKeys: 0,
    };
    const logger = this.#logger.child({ job: job.id, catalog, namespace: request.namespace });
    logger.info({ resumeAfter: checkpoint.lastKey, rows: checkpoint.rows }, 'import started');
    let open: Awaited<ReturnType<CatalogConnections['get']>>;
    try {
      open = await connections.get(catalog);
      await client.shards(request.namespace);
    } catch (error) {
      const star = StarError.from(error);
      // A catalog or namespace that does not exist will not appear by retrying.
      if (star.code === 'NotFound') throw new UnrecoverableError(star.message);
      throw star;
    }
    const plan = await planScan(open.connector, open.metadata, resumeQuery(request, checkpoint));
    const statistics = await open.metadata.getStatistics(plan.table).catch(() => undefined);
    const total = statistics?.rowCount;

    let batch: { key: string; value: string; lastKey: string | number }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const outcomes = await client.batch(
        request.namespace,
        batch.map((row) => ({ op: 'put' as const, key: row.key, value: row.value })),
      );
      const failed = outcomes.find((outcome) => !outcome.ok);
      if (failed && !failed.ok) throw failed.error;
      checkpoint.lastKey = batch.at(-1)!.lastKey;
      checkpoint.rows += batch.length;
      checkpoint.bytes += batch.reduce((sum, row) => sum + Buffer.byteLength(row.value), 0);
      batch = [];
      await job.updateData({ ...job.data, checkpoint });
      const percent = total ? Math.min(99, Math.floor((checkpoint.rows / total) * 100)) : 0;
      await job.updateProgress({ ...checkpoint, percent });
    };

    for await (const row of executeScan(open.connector, plan)) {
      const keyValue = row[request.keyColumn];
      if (keyValue === null || keyValue === undefined) {
        checkpoint.skippedNullKeys++;
        continue;
      }
      const value =
        request.valueColumn === undefined ? JSON.stringify(row) : String(row[request.valueColumn] ?? '');
      batch.push({ key: String(keyValue), value, lastKey: keyValue as string | number });
      if (batch.length >= request.batchSize) await flush();
    }
    await flush();
    await job.updateProgress({ ...checkpoint, percent: 100 });
    logger.info({ rows: checkpoint.rows, bytes: checkpoint.bytes }, 'import completed');
    return checkpoint;
  }

  /** Stops without waiting for a running import: it is resumable, another gateway picks it up. */
  close(): Promise<void> {
    return this.#worker.close(true);
  }
}
