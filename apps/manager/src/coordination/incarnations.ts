import type { NodeInfo, NodeRegistration, NodeStatus, Shard } from '@star/protocol';
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
export function reenterRestarted(
  shards: Iterable<Shard>,
  restarted: ReadonlySet<string>,
  logEnd: (node: string, shard: number) => number | undefined = () => undefined,
): MetadataEntry[] {
  const entries: MetadataEntry[] = [];
  for (const shard of shards) {
    if (!shard.chain.some((id) => restarted.has(id))) continue;
    // Several restarted together (say every member, after a power cut): the longest log first, so
    // no head holds fewer entries than its successors; an unknown log end goes last.
    const end = (id: string) => logEnd(id, shard.id) ?? -1;
    const chain = [
      ...shard.chain.filter((id) => !restarted.has(id)),
      ...shard.chain.filter((id) => restarted.has(id)).sort((a, b) => end(b) - end(a)),
    ];
    entries.push({
      type: 'shard.reconfigured',
      data: { id: shard.id, term: shard.term + 1, chain, status: 'Reconfiguring' },
    });
  }
  return entries;
}

/**
 * The log end (`lastSeq`) of every shard a restarted node holds, as it reports it: reliable, since a
 * restarted replica writes nothing until it is re-entered. A node that does not answer has none.
 */
export async function restartedLogEnds(
  restarted: { id: string; address: string }[],
  status: (address: string) => Promise<NodeStatus>,
): Promise<Map<string, Map<number, number>>> {
  const ends = new Map<string, Map<number, number>>();
  await Promise.all(
    restarted.map(async ({ id, address }) => {
      const answer = await status(address).catch(() => undefined);
      if (answer !== undefined) ends.set(id, new Map(answer.shards.map((s) => [s.shard, s.lastSeq])));
    }),
  );
  return ends;
}
