import { defineConfig } from 'vitest/config';

/** One vitest setup for every package: tests beside the code, real servers, generous timeouts. */
export function starVitestConfig(
  options: { testTimeout?: number; include?: string[]; fileParallelism?: boolean } = {},
) {
  return defineConfig({
    test: {
      include: options.include ?? ['src/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      pool: 'forks',
      fileParallelism: options.fileParallelism ?? true,
      // The JSON report is what `star test` sums up at the end; turbo caches it with the task.
      reporters: ['default', 'json'],
      outputFile: { json: 'reports/vitest.json' },
    },
  });
}
