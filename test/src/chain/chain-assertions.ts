import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainMethods, type GetResponse, StarError } from '@star/protocol';
import { checkHistory, formatCheckResult, type HistoryRecorder } from '@star/testkit';
import { expect } from 'vitest';
import type { WorkloadStats, WorkloadTarget } from './chain-workload.js';

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
  target: WorkloadTarget,
  shard: number,
  stats: WorkloadStats,
): Promise<void> {
  for (const member of target.chain(shard)) {
    for (const [key, version] of stats.acknowledged) {
      const response = await readWithRetry(target, member, shard, key);
      expect(response.found, `${key} on ${member}`).toBe(true);
      if (response.found) expect(response.version, `${key} on ${member}`).toBeGreaterThanOrEqual(version);
    }
  }
}

/** A read retried while it fails for a passing reason (a link dropped, a tail catching up). */
async function readWithRetry(
  target: WorkloadTarget,
  node: string,
  shard: number,
  key: string,
): Promise<GetResponse> {
  const giveUpAt = Date.now() + 15_000;
  for (;;) {
    try {
      return await target
        .link(node)
        .request<GetResponse>(ChainMethods.get, { shard, key }, { timeoutMs: 5_000 });
    } catch (error) {
      const starError = StarError.from(error);
      if (!starError.retryable || Date.now() > giveUpAt) throw starError;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
