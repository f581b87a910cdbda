import { starVitestConfig } from '../vitest.shared.ts';

// Each file starts a cluster of real processes: one file at a time keeps a 2-core machine fair to them.
export default starVitestConfig({ testTimeout: 60_000, fileParallelism: false });
