import { starVitestConfig } from '../../vitest.shared.ts';

export default starVitestConfig();
