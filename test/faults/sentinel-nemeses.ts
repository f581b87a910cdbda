import { waitFor } from '@star/testkit';
import type { Nemesis } from './nemeses.js';

/**
 * Nemeses of the Redis Sentinel control plane. They run only when the fault cluster starts Redis as
 * a Sentinel topology (`STAR_FAULTS_SENTINEL=1`: a primary, two replicas, three sentinels); the
 * default cluster has one redis-server behind per-node proxies, which these would not apply to.
 */
export const sentinelEnabled = process.env.STAR_FAULTS_SENTINEL === '1';

const sentinelPrimaryKill: Nemesis = {
  name: 'sentinel-primary-kill',
  description: 'kill -9 the Redis primary; Sentinel promotes a replica; the old one restarts as a replica',
  async run(context) {
    const topology = context.faults.cluster.sentinel;
    if (topology === undefined) throw new Error('sentinel-primary-kill needs STAR_FAULTS_SENTINEL=1');
    const primary = await topology.primary();
    await primary.kill();
    context.timeline.record(this.name, 'inject', `kill -9 redis primary :${primary.port}`);
    const promoted = await topology.waitForPromotion(primary.port);
    await primary.restart();
    await waitFor(async () => (await topology.roleOf(primary.port)) === 'slave', {
      description: `the restarted old primary :${primary.port} to become a replica`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    context.timeline.record(
      this.name,
      'heal',
      `sentinel promoted :${promoted}; :${primary.port} restarted as its replica`,
    );
  },
};

export const sentinelNemeses: Nemesis[] = sentinelEnabled ? [sentinelPrimaryKill] : [];
