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
/** Where a member's log of a shard ends, as it reports it. */
export interface LogEnd {
  lastSeq: number;
  commitSeq: number;
}

export function reenterRestarted(
  shards: Iterable<Shard>,
  restarted: ReadonlySet<string>,
  logEnd: (node: string, shard: number) => LogEnd | undefined = () => undefined,
): MetadataEntry[] {
  const entries: MetadataEntry[] = [];
  for (const shard of shards) {
    if (!shard.chain.some((id) => restarted.has(id))) continue;
    entries.push({
      type: 'shard.reconfigured',
      data: {
        id: shard.id,
        term: shard.term + 1,
        chain: reentryOrder(shard, restarted, logEnd),
        // A reorder of the same members: a full chain stays in steady state, a short one does not.
        status: shard.status,
      },
    });
  }
  return entries;
}

/**
 * The members in re-entry order: first those holding every entry known committed anywhere (a
 * member that did not restart and did not answer is assumed to: it was serving), the others after,
 * and restarted ones, longest log first, behind the members that did not restart within each group.
 * So after restarts that came one by one (say every member after a power cut, re-registering in
 * turn), the head is never a member that lost entries its successors committed.
 */
function reentryOrder(
  shard: Shard,
  restarted: ReadonlySet<string>,
  logEnd: (node: string, shard: number) => LogEnd | undefined,
): string[] {
  const end = (id: string) => logEnd(id, shard.id);
  const committed = Math.max(0, ...shard.chain.map((id) => end(id)?.commitSeq ?? 0));
  // A joiner still catching up (joiner-sync.ts) holds less than its log end may suggest: it never
  // counts as complete, so it never heads the members it copies from.
  const joining = new Set(shard.joining ?? []);
  const complete = (id: string) => {
    if (joining.has(id)) return false;
    const known = end(id);
    return known === undefined ? !restarted.has(id) : known.lastSeq >= committed;
  };
  const longestFirst = (a: string, b: string) => (end(b)?.lastSeq ?? -1) - (end(a)?.lastSeq ?? -1);
  const ordered = [
    ...shard.chain.filter((id) => !restarted.has(id)),
    ...shard.chain.filter((id) => restarted.has(id)).sort(longestFirst),
  ];
  return [...ordered.filter(complete), ...ordered.filter((id) => !complete(id)).sort(longestFirst)];
}

/**
 * The log ends of every shard each node holds, as it reports it (a restarted replica writes nothing
 * until it is re-entered, so its answer stays true). A node that does not answer has none.
 */
export async function memberLogEnds(
  members: { id: string; address: string }[],
  status: (address: string) => Promise<NodeStatus>,
): Promise<Map<string, Map<number, LogEnd>>> {
  const ends = new Map<string, Map<number, LogEnd>>();
  await Promise.all(
    members.map(async ({ id, address }) => {
      const answer = await status(address).catch(() => undefined);
      if (answer !== undefined)
        ends.set(
          id,
          new Map(answer.shards.map((s) => [s.shard, { lastSeq: s.lastSeq, commitSeq: s.commitSeq }])),
        );
    }),
  );
  return ends;
}
