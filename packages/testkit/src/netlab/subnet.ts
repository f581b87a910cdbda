import { run } from './commands.js';

/** Every /24 a run may use lies in 10.213.0.0/16 (private, and rarely routed anywhere). */
export const LAB_PREFIX = '10.213';

interface Cidr {
  base: number;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(text);
  if (match === null) return undefined;
  const [a, b, c, d] = match.slice(1, 5).map(Number) as [number, number, number, number];
  return { base: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, bits: Number(match[5] ?? 32) };
}

function overlaps(x: Cidr, y: Cidr): boolean {
  const bits = Math.min(x.bits, y.bits);
  if (bits === 0) return false; // a default route covers everything and claims nothing
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (x.base & mask) === (y.base & mask);
}

/**
 * The third octets of 10.213.x.0/24 that some address or route of this machine (root namespace,
 * every table) already covers: the lab must not shadow a network someone uses.
 */
export async function usedSubnets(): Promise<Set<number>> {
  const text = `${await run('ip', ['-o', '-4', 'addr', 'show'])}\n${await run('ip', ['-4', 'route', 'show', 'table', 'all'])}`;
  const cidrs = [...text.matchAll(/(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/g)]
    .map((m) => parseCidr(m[1]!))
    .filter((c): c is Cidr => c !== undefined);
  const used = new Set<number>();
  for (let third = 0; third < 256; third++) {
    const candidate = parseCidr(`${LAB_PREFIX}.${third}.0/24`)!;
    if (cidrs.some((cidr) => overlaps(cidr, candidate))) used.add(third);
  }
  return used;
}
