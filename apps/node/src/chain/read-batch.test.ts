import { describe, expect, it } from 'vitest';
import { ReadBatch } from './read-batch.js';

describe('ReadBatch', () => {
  it('serves the reads of one turn inside one serveAll call, each with its own outcome', async () => {
    const batches: string[][] = [];
    let current: string[] | undefined;
    const batch = new ReadBatch<string>(
      (key) => {
        if (current === undefined) throw new Error('served outside serveAll');
        current.push(key);
        if (key === 'bad') throw new Error('no such key');
        return key === 'slow' ? Promise.resolve('later') : `value of ${key}`;
      },
      (serveEach) => {
        current = [];
        serveEach();
        batches.push(current);
        current = undefined;
      },
    );
    const first = [batch.read('a'), batch.read('bad'), batch.read('slow'), batch.read('b')];
    const outcomes = await Promise.allSettled(first);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([
      'value of a',
      'no such key',
      'later',
      'value of b',
    ]);
    await expect(batch.read('c')).resolves.toBe('value of c');
    expect(batches).toEqual([['a', 'bad', 'slow', 'b'], ['c']]);
  });

  it('fails every read of a batch whose frame fails', async () => {
    const batch = new ReadBatch<string>(
      (key) => key,
      () => {
        throw new Error('database closed');
      },
    );
    await expect(Promise.all([batch.read('a'), batch.read('b')])).rejects.toThrow('database closed');
    const outcomes = await Promise.allSettled([batch.read('c')]);
    expect(outcomes[0]!.status).toBe('rejected');
  });
});
