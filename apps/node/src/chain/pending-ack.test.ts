import { describe, expect, it } from 'vitest';
import { PendingAck } from './pending-ack.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('PendingAck', () => {
  it('applies only the highest ack of a turn, once, after the turn', async () => {
    const applied: number[] = [];
    const pending = new PendingAck((seq) => applied.push(seq));
    pending.offer(5);
    pending.offer(9);
    pending.offer(7);
    expect(applied).toEqual([]);
    await nextTurn();
    expect(applied).toEqual([9]);
    pending.offer(12);
    await nextTurn();
    expect(applied).toEqual([9, 12]);
  });

  it('forgets a dropped ack', async () => {
    const applied: number[] = [];
    const pending = new PendingAck((seq) => applied.push(seq));
    pending.offer(3);
    pending.drop();
    await nextTurn();
    expect(applied).toEqual([]);
    pending.offer(2);
    await nextTurn();
    expect(applied).toEqual([2]);
  });
});
