import { describe, expect, it, vi } from 'vitest';
import { faultSuiteCommand } from './test.js';
import { upCommand } from './up.js';

describe('placeholder commands', () => {
  it('`test --faults` runs the fault suite script, with --long for the long schedule', () => {
    expect(faultSuiteCommand({ faults: true })).toEqual(['pnpm', 'test:faults']);
    expect(faultSuiteCommand({ faults: true, long: true })).toEqual(['pnpm', 'test:faults', '--long']);
  });

  it('`up` points to `./star test` and exits 1', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await upCommand()).toBe(1);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('for now run `./star test`');
    } finally {
      stderr.mockRestore();
    }
  });
});
