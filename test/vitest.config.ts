import { defineConfig, mergeConfig } from 'vitest/config';
import { starVitestConfig } from '../vitest.shared.ts';

/**
 * Each file starts a cluster of real processes. Two at a time keep a 2-core machine fair to them
 * (most of a cluster test is waiting on leases and timeouts, not CPU); the files that need the
 * machine to themselves run after, one at a time: `./star up` binds fixed default ports (7400,
 * 8080), and the fault suite's timings (outage windows, heal bounds) are what it measures.
 */
const exclusive = ['src/up/**/*.test.ts', 'faults/**/*.test.ts'];

export default mergeConfig(
  // No include of its own: each project names its files (`extends` concatenates lists).
  starVitestConfig({ testTimeout: 60_000, include: [] }),
  defineConfig({
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: 'cluster',
            include: ['src/**/*.test.ts'],
            exclude: exclusive,
            maxWorkers: 2,
            sequence: { groupOrder: 0 },
          },
        },
        {
          extends: true,
          test: {
            name: 'exclusive',
            include: exclusive,
            maxWorkers: 1,
            sequence: { groupOrder: 1 },
          },
        },
      ],
    },
  }),
);
