import { starVitestConfig } from '../vitest.shared.ts';

export default starVitestConfig({ testTimeout: 60_000 });
