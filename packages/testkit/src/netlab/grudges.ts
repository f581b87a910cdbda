import type { Grudge } from './partition-rules.js';

/**
 * Jepsen's `complete-grudge`: every host drops packets from every host outside its own component.
 * Hosts named in no component are not cut from anyone.
 */
export function completeGrudge(components: string[][]): Grudge {
  const grudge: Grudge = new Map();
  for (const component of components) {
    const others = components.filter((c) => c !== component).flat();
    for (const host of component) grudge.set(host, new Set([...(grudge.get(host) ?? []), ...others]));
  }
  return grudge;
}

/**
 * Jepsen's `bridge`: two halves cut from each other, and one host in the middle that both halves
 * (and it) still hear. `hosts` are split in order: [0, mid) | mid | (mid, end].
 */
export function bridgeGrudge(hosts: string[]): {
  grudge: Grudge;
  bridge: string;
  halves: [string[], string[]];
} {
  if (hosts.length < 3) throw new Error('a bridge needs at least 3 hosts');
  const mid = Math.floor(hosts.length / 2);
  const left = hosts.slice(0, mid);
  const right = hosts.slice(mid + 1);
  return { grudge: completeGrudge([left, right]), bridge: hosts[mid]!, halves: [left, right] };
}

/** Cuts `a` and `b` from each other and from nobody else. */
export function pairGrudge(a: string, b: string): Grudge {
  return new Map([
    [a, new Set([b])],
    [b, new Set([a])],
  ]);
}

/** One host cut from every other host (both ways). */
export function isolateGrudge(host: string, others: string[]): Grudge {
  return completeGrudge([[host], others.filter((other) => other !== host)]);
}

/** Jepsen's one-way cut: `to` no longer receives from `from`; `from` still hears `to`. */
export function oneWayGrudge(from: string, to: string): Grudge {
  return new Map([[to, new Set([from])]]);
}
