import { ConditionFailed, NotFound, type StarClient } from '@star/client';
import { StarError } from '@star/protocol';
import type { HistoryRecorder } from '@star/testkit';

export interface ClientWorkloadOptions {
  namespace: string;
  keys: string[];
  /** One StarClient per concurrent client (each runs one operation at a time). */
  clients: StarClient[];
  /** Runs until this resolves. */
  until: Promise<unknown>;
}

export interface ClientWorkloadStats {
  ok: number;
  fail: number;
  info: number;
  /** Highest acknowledged write version per key: it must still be there at every replica. */
  acknowledged: Map<string, number>;
}

/**
 * The register workload through StarClient: reads, blind writes and compare-and-sets on the version
 * a client last saw, each recorded as ok, fail (definitely no effect) or info (it may have applied).
 * The client retries with the same request id, so a write is applied at most once.
 */
export async function runClientWorkload(
  history: HistoryRecorder,
  options: ClientWorkloadOptions,
): Promise<ClientWorkloadStats> {
  const stats: ClientWorkloadStats = { ok: 0, fail: 0, info: 0, acknowledged: new Map() };
  let running = true;
  void options.until.finally(() => {
    running = false;
  });

  async function loop(client: StarClient, index: number): Promise<void> {
    const name = `c${index}`;
    const seen = new Map<string, number>();
    let sequence = 0;
    while (running) {
      const key = options.keys[Math.floor(Math.random() * options.keys.length)]!;
      const roll = Math.random();
      if (roll < 0.4) {
        const op = history.invoke(name, key, 'read', {});
        try {
          const record = await client.get(options.namespace, key);
          op.ok({ value: Buffer.from(record.value).toString(), version: record.version });
          seen.set(key, record.version);
          stats.ok++;
        } catch (error) {
          if (error instanceof NotFound) {
            op.ok({ value: null });
            stats.ok++;
          } else {
            op.fail({ error: StarError.from(error).code, preconditionFailed: false });
            stats.fail++;
          }
        }
        continue;
      }
      const value = `${name}-${++sequence}`;
      const expected = roll < 0.7 ? undefined : (seen.get(key) ?? 0);
      const input =
        expected === undefined
          ? { value }
          : expected === 0
            ? { value, mustNotExist: true }
            : { value, expectedVersion: expected };
      const op = history.invoke(name, key, expected === undefined ? 'write' : 'cas', input);
      try {
        const result = await client.put(options.namespace, key, value, {
          ...(expected === 0 ? { createOnly: true } : {}),
          ...(expected !== undefined && expected > 0 ? { expectedVersion: expected } : {}),
        });
        op.ok({ version: result.version });
        seen.set(key, result.version);
        stats.acknowledged.set(key, Math.max(stats.acknowledged.get(key) ?? 0, result.version));
        stats.ok++;
      } catch (error) {
        if (error instanceof ConditionFailed) {
          op.fail({ preconditionFailed: true });
          seen.set(key, error.currentVersion);
          stats.fail++;
        } else {
          op.info();
          stats.info++;
        }
      }
    }
  }

  await Promise.all(options.clients.map((client, i) => loop(client, i)));
  return stats;
}
