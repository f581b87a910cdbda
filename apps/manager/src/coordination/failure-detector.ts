import { ChainKeys, ControlPlaneCodecs, type NodeLeaseRecord } from '@star/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface FailureDetectorSettings {
  /** The nodes' read lease. */
  nodeLeaseMs: number;
  /** Extra wait beyond a lease, for clock rate differences and check delays. */
  deadMarginMs: number;
}

/** What one observation of the nodes' lease records found. */
export interface FailureVerdict {
  /** Nodes seen renewing since the previous observation. */
  renewed: Set<string>;
  /** Nodes this manager has seen no renewal from for a lease plus the margin, on its own clock. */
  silent: string[];
}

interface Observation {
  /** The newest record seen (undefined: none yet). */
  record: NodeLeaseRecord | undefined;
  /** When this manager last saw a renewal (or started watching), on its monotonic clock. */
  renewedAt: number;
}

/**
 * Failure detection on the manager's own clock (DESIGN §3.8). Every node's lease key holds a record
 * with a renewal counter; a renewal is a counter that grew (or a new incarnation). A node is silent
 * once this manager has seen no renewal for a full lease plus a margin — a key that vanished early
 * (a Redis clock step, eviction, a failover that lost the last SET) counts as no renewal, never as
 * a death. A manager that starts watching has seen no renewal yet: it counts one at its first look,
 * which is after any renewal the node's lease could stem from, so it waits a full lease too.
 */
export class FailureDetector {
  readonly #redis: Redis;
  readonly #settings: FailureDetectorSettings;
  readonly #logger: Logger;
  readonly #observed = new Map<string, Observation>();

  constructor(params: { redis: Redis; settings: FailureDetectorSettings; logger: Logger }) {
    this.#redis = params.redis;
    this.#settings = params.settings;
    this.#logger = params.logger.child({ component: 'failure-detector' });
  }

  /** Forgets every observation: a new term of leadership has seen no renewal yet. */
  reset(): void {
    this.#observed.clear();
  }

  /** Reads every node's lease record once (one round trip) and says who renewed and who is silent. */
  async observe(nodes: string[]): Promise<FailureVerdict> {
    const verdict: FailureVerdict = { renewed: new Set(), silent: [] };
    if (nodes.length === 0) return verdict;
    const raws = await this.#redis.mget(nodes.map((node) => ChainKeys.nodeLease(node)));
    const now = performance.now();
    const known = new Set(nodes);
    for (const id of this.#observed.keys()) if (!known.has(id)) this.#observed.delete(id);
    nodes.forEach((node, i) => {
      const record = this.#decode(node, raws[i] ?? null);
      const seen = this.#observed.get(node);
      if (seen === undefined) {
        this.#observed.set(node, { record, renewedAt: now });
        return;
      }
      if (record !== undefined && isRenewal(seen.record, record)) {
        seen.record = record;
        seen.renewedAt = now;
        verdict.renewed.add(node);
        return;
      }
      if (now - seen.renewedAt >= this.#settings.nodeLeaseMs + this.#settings.deadMarginMs) {
        verdict.silent.push(node);
      }
    });
    return verdict;
  }

  /** Milliseconds since this manager last saw `node` renew (undefined: not watched). */
  silentForMs(node: string): number | undefined {
    const seen = this.#observed.get(node);
    return seen === undefined ? undefined : performance.now() - seen.renewedAt;
  }

  #decode(node: string, raw: string | null): NodeLeaseRecord | undefined {
    if (raw === null) return undefined;
    const key = ChainKeys.nodeLease(node);
    try {
      return ControlPlaneCodecs.nodeLease.decode(raw, key);
    } catch (error) {
      // Counts as no renewal: a garbled key must not keep a dead node alive, nor kill a live one.
      this.#logger.error({ err: error, node }, 'node lease record ignored');
      return undefined;
    }
  }
}

/**
 * Whether `next` is a renewal after `previous`: a new incarnation, or a higher counter. A lower
 * counter of the same incarnation is an old value come back (a failover that lost SETs), not one.
 */
function isRenewal(previous: NodeLeaseRecord | undefined, next: NodeLeaseRecord): boolean {
  if (previous === undefined) return true;
  return next.incarnation !== previous.incarnation || next.renewal > previous.renewal;
}
