import { describe, expect, it } from 'vitest';
import { faultSuiteCommand } from './test.js';

describe('test command', () => {
  it('`test --faults` runs the fault suite script, with --long for the long schedule', () => {
    expect(faultSuiteCommand({ faults: true })).toEqual(['pnpm', 'test:faults']);
    expect(faultSuiteCommand({ faults: true, long: true })).toEqual(['pnpm', 'test:faults', '--long']);
    expect(faultSuiteCommand({ faults: true, long: true, minutes: '30' })).toEqual([
      'pnpm',
      'test:faults',
      '--long',
      '--minutes',
      '30',
    ]);
    expect(faultSuiteCommand({ faults: true, seed: '7' })).toEqual(['pnpm', 'test:faults', '--seed', '7']);
  });
});
