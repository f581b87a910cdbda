import { starVitestConfig } from '../vitest.shared.ts';

// Each file starts a cluster of real processes: one file at a time keeps a 2-core machine fair to them.
// The fault suite (faults/) runs with them: its short schedule is part of `star test`.
export default starVitestConfig({
  testTimeout: 60_000,
  fileParallelism: false,
  include: ['src/**/*.test.ts', 'faults/**/*.test.ts'],
});
