import { sleep, waitFor } from '@star/testkit';
import { clockNemeses } from './clock-nemeses.js';
import { diskNemeses } from './disk-nemeses.js';
import { failpointNemeses } from './failpoint-nemeses.js';
import type { FaultCluster } from './fault-cluster.js';
import type { FaultTimeline } from './fault-timeline.js';
import { partitionNemeses } from './partition-nemeses.js';
import type { Random } from './random.js';

/** What a nemesis gets to work with. */
export interface NemesisContext {
  faults: FaultCluster;
  timeline: FaultTimeline;
  random: Random;
  /** The nodes' read lease; faults meant to outlast it hold for a multiple of it. */
  leaseMs: number;
}

/** One kind of fault: inject it, hold it, heal it. The runner waits for a healthy cluster after. */
export interface Nemesis {
  name: string;
  /** What it does, for the docs and the summary. */
  description: string;
  /** Needs the namespaced hosts (network lab): left out, loudly, on the TCP-proxy fallback. */
  needsHosts?: boolean;
  /** Needs Redis as a Sentinel topology: left out, loudly, with a single redis-server. */
  needsSentinel?: boolean;
  /**
   * An open finding this nemesis still produces (docs/reliability.md): it runs in the long schedule
   * and with `--only`, not in the short one of `./star test`, until the finding is fixed.
   */
  openFinding?: string;
  run(context: NemesisContext): Promise<void>;
}

/** Starts node `id` again after a kill, recording both ends. */
async function restart(context: NemesisContext, nemesis: string, id: string): Promise<void> {
  await context.faults.restartNode(id);
  context.timeline.record(nemesis, 'heal', `restarted ${id}`);
}

const killNode: Nemesis = {
  name: 'kill-node',
  description: 'kill -9 one node, hold past the lease (the manager chains around it), restart it',
  async run(context) {
    const id = context.random.pick(context.faults.nodeIds);
    context.faults.node(id).process.kill('SIGKILL');
    context.timeline.record(this.name, 'inject', `kill -9 ${id}`);
    await sleep(context.leaseMs * 2);
    await restart(context, this.name, id);
  },
};

const killTwoOfChain: Nemesis = {
  name: 'kill-two-of-chain',
  description: 'kill -9 two members of one chain at once (RF-1 = 2 crashes), restart both',
  async run(context) {
    const shards = await context.faults.shards();
    const shard = context.random.pick(shards);
    const victims = context.random.shuffle([...shard.chain]).slice(0, 2);
    for (const id of victims) context.faults.node(id).process.kill('SIGKILL');
    context.timeline.record(this.name, 'inject', `kill -9 ${victims.join(' and ')} of shard ${shard.id}`);
    await sleep(context.leaseMs * 2);
    for (const id of victims) await restart(context, this.name, id);
  },
};

const pauseNode: Nemesis = {
  name: 'pause-node',
  description: 'SIGSTOP one node for 3x the lease, then SIGCONT',
  async run(context) {
    const id = context.random.pick(context.faults.nodeIds);
    context.faults.node(id).process.pause();
    context.timeline.record(this.name, 'inject', `SIGSTOP ${id} for ${context.leaseMs * 3} ms`);
    await sleep(context.leaseMs * 3);
    context.faults.node(id).process.resume();
    context.timeline.record(this.name, 'heal', `SIGCONT ${id}`);
  },
};

const partitionNodeRedis: Nemesis = {
  name: 'partition-node-redis',
  description: "cut one node's connections to Redis (refused, or blackholed) for 3x the lease",
  async run(context) {
    const id = context.random.pick(context.faults.nodeIds);
    const mode = context.random.pick(['refuse', 'blackhole'] as const);
    await context.faults.cutNodeFromRedis(id, mode);
    context.timeline.record(this.name, 'inject', `${id} -/- redis (${mode}) for ${context.leaseMs * 3} ms`);
    await sleep(context.leaseMs * 3);
    await context.faults.healNetwork();
    context.timeline.record(this.name, 'heal', `${id} <-> redis`);
  },
};

const partitionNodeInbound: Nemesis = {
  name: 'partition-node-inbound',
  description:
    'cut every connection dialed to one node (its predecessors, clients, the gateway, managers) for 3x the lease',
  async run(context) {
    const id = context.random.pick(context.faults.nodeIds);
    const mode = context.random.pick(['refuse', 'blackhole'] as const);
    await context.faults.cutInbound(id, mode);
    context.timeline.record(this.name, 'inject', `* -/-> ${id} (${mode}) for ${context.leaseMs * 3} ms`);
    await sleep(context.leaseMs * 3);
    await context.faults.healNetwork();
    context.timeline.record(this.name, 'heal', `* --> ${id}`);
  },
};

const redisRestart: Nemesis = {
  name: 'redis-restart',
  description:
    'kill -9 Redis and start it again on its AOF (appendfsync always); control-plane state must survive',
  async run(context) {
    const before = await context.faults.shards();
    // With Sentinel: the primary, restarted at once (sooner than the sentinels call it down).
    const redis = await context.faults.redisPrimary();
    await redis.kill();
    context.timeline.record(this.name, 'inject', `kill -9 redis :${redis.port}`);
    await redis.restart();
    context.timeline.record(this.name, 'heal', `redis :${redis.port} restarted from its AOF`);
    // Terms are journaled in Redis and MUST only grow: a restart must not lose any of them.
    const after = await waitFor(() => context.faults.shards(), { description: 'shards after restart' });
    for (const shard of before) {
      const now = after.find((s) => s.id === shard.id);
      if (now === undefined || now.term < shard.term) {
        throw new Error(
          `shard ${shard.id} went from term ${shard.term} to ${now?.term} across a Redis restart`,
        );
      }
    }
  },
};

/** Redis frozen (SIGSTOP): every connection stays open and nothing answers. */
function redisOutage(name: string, description: string, holdFor: (leaseMs: number) => number): Nemesis {
  return {
    name,
    description,
    async run(context) {
      // With Sentinel, every data node: the whole control plane is out (sentinels find no replica
      // to promote), which is what these outage rules are about; a lost primary is sentinel-*.
      const servers = context.faults.redisServers;
      const holdMs = holdFor(context.leaseMs);
      for (const redis of servers) redis.pause();
      const ports = servers.map((redis) => `:${redis.port}`).join(' ');
      const from = context.timeline.record(name, 'inject', `SIGSTOP redis ${ports} for ${holdMs} ms`);
      await sleep(holdMs);
      for (const redis of servers) redis.resume();
      const to = context.timeline.record(name, 'heal', 'SIGCONT redis');
      context.timeline.window(name, from, to);
    },
  };
}

const redisOutageShort = redisOutage(
  'redis-outage-short',
  'Redis unavailable (SIGSTOP) for a third of the lease: the data plane must keep serving',
  (leaseMs) => Math.round(leaseMs / 3),
);

const redisOutageLong = redisOutage(
  'redis-outage-long',
  'Redis unavailable (SIGSTOP) for 3x the lease: reads must wait or fail cleanly, never stale; all resumes after',
  (leaseMs) => leaseMs * 3,
);

const managerLeaderKill: Nemesis = {
  name: 'manager-leader-kill',
  description: 'kill -9 the leading manager; another takes over; restart it',
  async run(context) {
    const { cluster } = context.faults;
    const leader = await cluster.leader();
    cluster.managers.get(leader.id)!.process.kill('SIGKILL');
    context.timeline.record(this.name, 'inject', `kill -9 ${leader.id}`);
    const next = await cluster.leader(20_000);
    context.timeline.record(this.name, 'check', `${next.id} leads`);
    await cluster.startManager(leader.id);
    context.timeline.record(this.name, 'heal', `restarted ${leader.id}`);
  },
};

const managerLeaderPause: Nemesis = {
  name: 'manager-leader-pause',
  description: 'SIGSTOP the leading manager for 3x its lease; another takes over; the old one must step down',
  async run(context) {
    const { cluster } = context.faults;
    const leader = await cluster.leader();
    const process = cluster.managers.get(leader.id)!.process;
    process.pause();
    context.timeline.record(this.name, 'inject', `SIGSTOP ${leader.id}`);
    await sleep(cluster.options.managerLeaseMs * 3);
    const next = await cluster.leader(20_000);
    context.timeline.record(this.name, 'check', `${next.id} leads`);
    process.resume();
    context.timeline.record(this.name, 'heal', `SIGCONT ${leader.id}`);
    // The paused leader wakes with a lapsed lease: it must not go on believing it leads.
    await waitFor(
      async () => {
        const leaders = await leadersNow(context);
        return leaders.length === 1 && leaders[0] !== leader.id;
      },
      { description: `${leader.id} to step down, leaving one leader`, timeoutMs: 10_000 },
    );
  },
};

async function leadersNow(context: NemesisContext): Promise<string[]> {
  const { cluster } = context.faults;
  const leaders: string[] = [];
  for (const [id, manager] of cluster.managers) {
    const response = await fetch(`${manager.url}/v1/leader`, {
      headers: cluster.authHeaders,
      signal: AbortSignal.timeout(1_000),
    }).catch(() => undefined);
    if (response?.ok && ((await response.json()) as { isLeader: boolean }).isLeader) leaders.push(id);
  }
  return leaders;
}

interface JobView {
  state: string;
  failedReason: string | null;
}

const checkpointerKill: Nemesis = {
  name: 'checkpointer-kill',
  description:
    'kill -9 the checkpointer while it runs a shard snapshot job, restart it; the job must complete',
  async run(context) {
    const { cluster } = context.faults;
    const shards = await context.faults.shards();
    for (const shard of context.random.shuffle(shards)) {
      const { url } = await cluster.leader();
      const { job } = await cluster.api<{ job: { queue: string; id: string } }>(
        url,
        'POST',
        '/v1/checkpoints/snapshots',
        { shard: shard.id },
      );
      const jobPath = `/v1/checkpoints/jobs/${job.queue}/${encodeURIComponent(job.id)}`;
      const state = await waitFor(
        async () => {
          const view = await cluster.api<JobView>(url, 'GET', jobPath);
          return view.state === 'active' || view.state === 'completed' ? view.state : undefined;
        },
        // Scheduled snapshots of every shard may be queued ahead of it (a few seconds each under load).
        { description: `snapshot job ${job.id} to start`, timeoutMs: 90_000, intervalMs: 20 },
      );
      if (state === 'completed') {
        context.timeline.record(this.name, 'skip', `job ${job.id} finished before the kill; another shard`);
        continue;
      }
      cluster.checkpointers.get('c1')!.process.kill('SIGKILL');
      context.timeline.record(this.name, 'inject', `kill -9 c1 during job ${job.id}`);
      await sleep(500);
      await cluster.startCheckpointer('c1');
      context.timeline.record(this.name, 'heal', 'restarted c1');
      await waitFor(
        async () => {
          const view = await cluster.api<JobView>((await cluster.leader()).url, 'GET', jobPath);
          if (view.state === 'failed') throw new Error(`snapshot job ${job.id} failed: ${view.failedReason}`);
          return view.state === 'completed';
        },
        { description: `snapshot job ${job.id} to complete after the kill`, timeoutMs: 60_000 },
      );
      context.timeline.record(this.name, 'check', `job ${job.id} completed`);
      return;
    }
    throw new Error('every snapshot job finished before the checkpointer could be killed');
  },
};

const rollingRestart: Nemesis = {
  name: 'rolling-restart',
  description:
    'restart every node in turn (SIGTERM, start again), waiting for a healthy cluster between nodes',
  async run(context) {
    for (const id of context.faults.nodeIds) {
      await context.faults.node(id).process.stop(10_000);
      context.timeline.record(this.name, 'inject', `stopped ${id}`);
      await restart(context, this.name, id);
      await context.faults.waitHealthy(60_000);
    }
  },
};

/** Every nemesis, in the order the short schedule runs them. */
export const nemeses: Nemesis[] = [
  killNode,
  pauseNode,
  partitionNodeRedis,
  partitionNodeInbound,
  killTwoOfChain,
  redisOutageShort,
  redisOutageLong,
  redisRestart,
  managerLeaderKill,
  managerLeaderPause,
  checkpointerKill,
  rollingRestart,
  ...failpointNemeses,
  ...diskNemeses,
  ...clockNemeses,
  ...partitionNemeses,
];
