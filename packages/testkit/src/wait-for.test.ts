import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first truthy value the probe gives', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), {
      description: 'third call',
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throwing probe as not ready yet', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls++;
        if (calls < 2) throw new Error('not yet');
        return 'ok';
      },
      { description: 'second call', intervalMs: 1 },
    );
    expect(value).toBe('ok');
  });

  it('names the description and the last error on timeout', async () => {
    const attempt = waitFor(
      () => {
        throw new Error('connection refused');
      },
      { description: 'the widget to spin', timeoutMs: 100, intervalMs: 10 },
    );
    await expect(attempt).rejects.toThrow(/Timed out after 100ms waiting for the widget to spin/);
    await expect(attempt).rejects.toThrow(/last error: connection refused/);
  });

  it('gives up at the deadline even if the probe hangs', async () => {
    const started = Date.now();
    const attempt = waitFor(() => new Promise<boolean>(() => {}), {
      description: 'a hung probe',
      timeoutMs: 150,
    });
    await expect(attempt).rejects.toThrow(/a hung probe/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
