import { describe, expect, it, vi } from 'vitest';
import { testCommand } from './test.js';
import { upCommand } from './up.js';

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
