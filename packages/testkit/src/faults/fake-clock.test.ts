import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureLibfaketime, FakeClock } from './fake-clock.js';

/** Wall time as a child process under `env` sees it. */
function clocksOf(env: Record<string, string>): { wall: number } {
  const out = execFileSync(process.execPath, ['-e', 'console.log(JSON.stringify({ wall: Date.now() }))'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { wall: number };
}

describe('FakeClock', () => {
  it('moves the wall clock of processes started with its env, forward and back, by what the file says now', () => {
    const library = ensureLibfaketime('the FakeClock test');
    if (library === undefined) return;
    const clock = new FakeClock(library);
    try {
      expect(Math.abs(clocksOf(clock.env()).wall - Date.now())).toBeLessThan(5_000);
      clock.set(3_600);
      expect(clocksOf(clock.env()).wall - Date.now()).toBeGreaterThan(3_590_000);
      clock.set(-3_600);
      expect(Date.now() - clocksOf(clock.env()).wall).toBeGreaterThan(3_590_000);
      expect(clock.env()).toMatchObject({ FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' });
    } finally {
      clock.close();
    }
  });
});
