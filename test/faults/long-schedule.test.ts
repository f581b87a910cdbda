import { describe, expect, it } from 'vitest';
import { claimsOf, compatible, drawCombination } from './long-schedule.js';
import { nemeses } from './nemeses.js';
import { Random } from './random.js';
import { sentinelNemeses } from './sentinel-nemeses.js';

const all = [...nemeses, ...sentinelNemeses];

describe('composed long schedule', () => {
  it('every nemesis has its claims declared (none falls back to solo by omission)', () => {
    const solo = new Set([
      'rolling-restart',
      'leader-crash-after-append',
      'leader-crash-mid-publication',
      'joiner-configure-dropped',
      'power-loss-head',
    ]);
    for (const nemesis of all) {
      expect(claimsOf(nemesis.name).includes('solo'), nemesis.name).toBe(solo.has(nemesis.name));
    }
  });

  it('never combines two network nemeses, two Redis ones, two node crashes, or a solo one', () => {
    expect(compatible(['partition-halves', 'slow-network'])).toBe(false);
    expect(compatible(['sentinel-primary-kill', 'redis-restart'])).toBe(false);
    expect(compatible(['sentinel-primary-isolated', 'partition-one-way'])).toBe(false);
    expect(compatible(['sentinel-primary-kill', 'partition-halves'])).toBe(false);
    expect(compatible(['redis-restart', 'partition-halves', 'manager-leader-kill'])).toBe(true);
    expect(compatible(['disk-full', 'kill-node'])).toBe(false);
    expect(compatible(['power-loss-head', 'clock-step'])).toBe(false);
    expect(compatible(['redis-outage-short', 'partition-halves'])).toBe(false);
    expect(compatible(['redis-outage-long', 'clock-step'])).toBe(true);
    expect(compatible(['partition-halves', 'kill-node', 'clock-step'])).toBe(true);
  });

  it('draws ones, twos and threes, always compatible, replayable from the seed', () => {
    const sizes = new Map<number, number>();
    const draws = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 400 }, () => drawCombination(all, random).map((n) => n.name));
    };
    for (const names of draws(7)) {
      expect(compatible(names), names.join('+')).toBe(true);
      expect(new Set(names).size).toBe(names.length);
      sizes.set(names.length, (sizes.get(names.length) ?? 0) + 1);
    }
    expect(sizes.get(1)).toBeGreaterThan(100);
    expect(sizes.get(2)).toBeGreaterThan(50);
    expect(sizes.get(3)).toBeGreaterThan(20);
    expect(draws(7)).toEqual(draws(7));
  });
});
