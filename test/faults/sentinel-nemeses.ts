import { completeGrudge, sleep, waitFor } from '@star/testkit';
import type { Nemesis, NemesisContext } from './nemeses.js';

/**
 * Nemeses of the Redis Sentinel control plane (a primary, two replicas, three sentinels; on the
 * namespaced hosts each data node is its own machine with a sentinel beside it). They need the
 * fault cluster to run Redis as a Sentinel topology (the default on namespaced hosts; `STAR_FAULTS_SENTINEL=0|1` overrides it).
 */
function requireSentinel(context: NemesisContext, nemesis: string) {
  const topology = context.faults.cluster.sentinel;
  if (topology === undefined) throw new Error(`${nemesis} needs Redis as a Sentinel topology`);
  return topology;
}

/** Waits until the data node on `port` (a former primary) follows the new one. */
async function waitReplica(context: NemesisContext, nemesis: string, port: number): Promise<void> {
  const topology = requireSentinel(context, nemesis);
  await waitFor(async () => (await topology.roleOf(port)) === 'slave', {
    description: `the old primary :${port} to become a replica`,
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

const sentinelPrimaryKill: Nemesis = {
  name: 'sentinel-primary-kill',
  needsSentinel: true,
  description: 'kill -9 the Redis primary; Sentinel promotes a replica; the old one restarts as a replica',
  async run(context) {
    const topology = requireSentinel(context, this.name);
    const primary = await topology.primary();
    await primary.kill();
    const from = context.timeline.record(this.name, 'inject', `kill -9 redis primary :${primary.port}`);
    const promoted = await topology.waitForPromotion(primary.port);
    await primary.restart();
    await waitReplica(context, this.name, primary.port);
    const to = context.timeline.record(
      this.name,
      'heal',
      `sentinel promoted :${promoted}; :${primary.port} restarted as its replica`,
    );
    context.timeline.window(this.name, from, to);
  },
};

/**
 * Jepsen's minority primary: the primary's host (with its one sentinel) cut from the other Redis
 * hosts, while managers, nodes and the gateway still reach every Redis. The primary still takes
 * writes for a while, but no replica acknowledges them (WAIT), so a manager must act on none; the
 * majority's sentinels promote a replica and the services follow it. On heal the old primary is
 * demoted and its unreplicated writes are dropped: nothing acted on may be among them.
 */
const sentinelPrimaryIsolated: Nemesis = {
  name: 'sentinel-primary-isolated',
  needsHosts: true,
  needsSentinel: true,
  description:
    "the Redis primary's host cut from its replicas and the other sentinels (services still reach all); a replica is promoted; heal demotes the old one",
  async run(context) {
    const topology = requireSentinel(context, this.name);
    const lab = context.faults.requireLab(this.name);
    const primary = await topology.primary();
    const redisHosts = context.faults.redisHosts;
    const isolated = redisHosts.find((name) => lab.host(name).address === primary.address);
    if (isolated === undefined) throw new Error(`no lab host has the primary's address ${primary.address}`);
    const others = redisHosts.filter((name) => name !== isolated);
    await lab.rules.partition(completeGrudge([[isolated], others]));
    const from = context.timeline.record(
      this.name,
      'inject',
      `${isolated} (primary :${primary.port}) -/- ${others.join(', ')}`,
    );
    try {
      const promoted = await topology.waitForPromotion(primary.port);
      context.timeline.record(this.name, 'progress', `sentinel promoted :${promoted} on the majority side`);
      // The old primary still takes writes from whoever talks to it: hold a lease with two primaries.
      await sleep(context.leaseMs);
    } finally {
      await lab.heal();
    }
    await waitReplica(context, this.name, primary.port);
    const to = context.timeline.record(this.name, 'heal', `healed; :${primary.port} demoted to a replica`);
    context.timeline.window(this.name, from, to);
  },
};

export const sentinelNemeses: Nemesis[] = [sentinelPrimaryKill, sentinelPrimaryIsolated];
