import { describe, expect, it, vi } from 'vitest';
import { testCommand } from './test.js';

describe('placeholder commands', () => {
  it('`test --faults` says the suite is not available and exits 2', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await testCommand({ faults: true })).toBe(2);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/fault suite is not yet available/);
    } finally {
      stderr.mockRestore();
    }
  });
});
