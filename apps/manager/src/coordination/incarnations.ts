import type { NodeInfo, NodeRegistration, Shard } from '@star/protocol';
import type { MetadataEntry } from '../metadata/journal-entries.js';

/**
 * Whether a registration is a new start of a node already journaled (DESIGN §3.14): another
 * incarnation than the one journaled. A first registration is not a restart.
 */
export function isRestart(known: NodeInfo | undefined, registration: NodeRegistration): boolean {
  return known !== undefined && known.incarnation !== registration.incarnation;
}

/**
 * The reconfigurations that re-enter restarted nodes (DESIGN §3.14): every shard holding one gets a
 * term bump — a restarted node takes no part at a term it held before — with the restarted members
 * moved to the tail. A restart (a power loss under `synchronous=NORMAL`) may have cut the tail of
 * its log, and a member must never be ahead of a shorter log: as the tail it is truncated of what
 * diverged and caught up by its predecessor through the handshake. The new registration proves the
 * old process gone, so this needs no wait for its lease. Journaled with the registration in one
 * append, so a leader that dies in between leaves neither half.
 */
export function reenterRestarted(shards: Iterable<Shard>, restarted: ReadonlySet<string>): MetadataEntry[] {
  const entries: MetadataEntry[] = [];
  for (const shard of shards) {
    if (!shard.chain.some((id) => restarted.has(id))) continue;
    const chain = [
      ...shard.chain.filter((id) => !restarted.has(id)),
      ...shard.chain.filter((id) => restarted.has(id)),
    ];
    entries.push({
      type: 'shard.reconfigured',
      data: { id: shard.id, term: shard.term + 1, chain, status: 'Reconfiguring' },
    });
  }
  return entries;
}
