import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainMethods, type GetResponse } from '@star/protocol';
import type { ChainCluster } from '@star/testkit';
import { checkHistory, formatCheckResult, type HistoryRecorder } from '@star/testkit';
import { expect } from 'vitest';
import type { WorkloadStats } from './chain-workload.js';

/** Fails the test, printing the checker's explanation, unless the history is linearizable. */
export function expectLinearizable(history: HistoryRecorder): void {
  const result = checkHistory(history.operations(), { timeBudgetMs: 60_000 });
  if (result.verdict !== 'linearizable') {
    const file = join(mkdtempSync(join(tmpdir(), 'star-history-')), 'history.jsonl');
    writeFileSync(file, history.toJsonLines());
    console.error(`${formatCheckResult(result)}\nhistory written to ${file}`);
  }
  expect(result.verdict).toBe('linearizable');
}

/** Every acknowledged write is still there: each key is at least at its highest acknowledged version. */
export async function expectNoLostWrites(
  cluster: ChainCluster,
  shard: number,
  stats: WorkloadStats,
): Promise<void> {
  const config = cluster.configs.get(shard)!;
  for (const member of config.chain) {
    for (const [key, version] of stats.acknowledged) {
      const response = await cluster.request<GetResponse>(member.id, ChainMethods.get, { shard, key });
      expect(response.found, `${key} on ${member.id}`).toBe(true);
      if (response.found) expect(response.version, `${key} on ${member.id}`).toBeGreaterThanOrEqual(version);
    }
  }
}
