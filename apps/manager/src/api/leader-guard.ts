import { StarError } from '@star/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface LeadershipView {
  isLeader(): boolean;
  currentLeader(): Promise<{ id: string; address: string } | undefined>;
}

/**
 * preHandler of every mutating route: a follower answers 421 with the leader's address (also in
 * `Location`-style `x-star-leader`), so clients retry there; reads are served by any manager.
 */
export function leaderOnly(leadership: LeadershipView) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    if (leadership.isLeader()) return;
    const leader = await leadership.currentLeader();
    if (leader) reply.header('x-star-leader', leader.address);
    throw new StarError(
      'MisdirectedRequest',
      leader
        ? `this manager is a follower; the leader is ${leader.id} at ${leader.address}`
        : 'no leader right now',
      leader ? { leader: leader.id, address: leader.address } : {},
    );
  };
}
