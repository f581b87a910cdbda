import {
  bridgeGrudge,
  completeGrudge,
  type Grudge,
  isolateGrudge,
  oneWayGrudge,
  pairGrudge,
  sleep,
} from '@star/testkit';
import type { Nemesis, NemesisContext } from './nemeses.js';

/**
 * Network partitions as Jepsen has them (issue 14), on the fault cluster's namespaced hosts: each
 * nemesis installs a grudge (who stops hearing whom: firewall rules on the receiving hosts, see
 * PartitionRules), holds it for 3x the lease (so leases run out and the managers act), and heals
 * every rule at once. The harness and its clients sit in the root namespace and are never cut, as
 * Jepsen's control node is not: they keep talking to both sides, which is where stale reads and
 * lost writes would show. The runner then waits for a whole cluster within its heal bound.
 */

/** Every host of the cluster: redis, m1.., n1.., g1, c1. */
function allHosts(context: NemesisContext, nemesis: string): string[] {
  // Sorted: the lab makes hosts in parallel, and a seed must replay the same split.
  return [...context.faults.requireLab(nemesis).hosts.keys()].sort();
}

/** Installs `grudge`, holds it for 3x the lease, heals. */
async function holdGrudge(
  context: NemesisContext,
  nemesis: string,
  grudge: Grudge,
  what: string,
): Promise<void> {
  const lab = context.faults.requireLab(nemesis);
  const holdMs = context.leaseMs * 3;
  await lab.rules.partition(grudge);
  const from = context.timeline.record(
    nemesis,
    'inject',
    `${what} for ${holdMs} ms: ${lab.rules.describe()}`,
  );
  try {
    await sleep(holdMs);
  } finally {
    await lab.heal();
    const to = context.timeline.record(nemesis, 'heal', 'every rule removed');
    context.timeline.window(nemesis, from, to);
  }
}

/** Two members next to each other in one chain (the predecessor first). */
async function chainNeighbours(context: NemesisContext): Promise<{ shard: number; pair: [string, string] }> {
  const shards = (await context.faults.shards()).filter((shard) => shard.chain.length >= 2);
  const shard = context.random.pick(shards);
  const i = Math.floor(context.random.next() * (shard.chain.length - 1));
  return { shard: shard.id, pair: [shard.chain[i]!, shard.chain[i + 1]!] };
}

const halves: Nemesis = {
  name: 'partition-halves',
  needsHosts: true,
  description:
    'split every host (Redis, managers, nodes, gateway, checkpointer) into random majority/minority halves',
  async run(context) {
    const hosts = context.random.shuffle(allHosts(context, this.name));
    const minority = hosts.slice(0, Math.floor(hosts.length / 2));
    const majority = hosts.slice(minority.length);
    await holdGrudge(
      context,
      this.name,
      completeGrudge([minority, majority]),
      `[${minority.join(',')}] | [${majority.join(',')}]`,
    );
  },
};

/**
 * The halves split that found issue-14 finding 1: one whole chain (and the gateway, so clients
 * still write through it) on the side without Redis and the managers; the rest on the other.
 */
const chainMinority: Nemesis = {
  name: 'partition-chain-minority',
  needsHosts: true,
  description:
    'every member of one chain (with the gateway) on the side of a split without Redis and the managers',
  async run(context) {
    const shard = context.random.pick(await context.faults.shards());
    const minority = [...shard.chain, 'g1'];
    const majority = allHosts(context, this.name).filter((host) => !minority.includes(host));
    await holdGrudge(
      context,
      this.name,
      completeGrudge([minority, majority]),
      `shard ${shard.id}'s chain [${minority.join(',')}] | [${majority.join(',')}]`,
    );
  },
};

const bridge: Nemesis = {
  name: 'partition-bridge',
  needsHosts: true,
  description: 'two halves of the hosts cut from each other, one host in the middle that both still hear',
  async run(context) {
    const {
      grudge,
      bridge: middle,
      halves: sides,
    } = bridgeGrudge(context.random.shuffle(allHosts(context, this.name)));
    await holdGrudge(
      context,
      this.name,
      grudge,
      `[${sides[0].join(',')}] | ${middle} | [${sides[1].join(',')}]`,
    );
  },
};

const isolateNode: Nemesis = {
  name: 'partition-isolate-node',
  needsHosts: true,
  description: 'one node cut from every other host (clients still reach it: its lease must stop its reads)',
  async run(context) {
    const id = context.random.pick(context.faults.nodeIds);
    await holdGrudge(context, this.name, isolateGrudge(id, allHosts(context, this.name)), `${id} alone`);
  },
};

const neighbours: Nemesis = {
  name: 'partition-chain-neighbours',
  needsHosts: true,
  description:
    'cut exactly two neighbours of one chain from each other; both still see Redis and the managers',
  async run(context) {
    const { shard, pair } = await chainNeighbours(context);
    context.faults.requireLab(this.name);
    await holdGrudge(
      context,
      this.name,
      pairGrudge(...pair),
      `${pair[0]} -/- ${pair[1]} (neighbours in shard ${shard})`,
    );
  },
};

const oneWay: Nemesis = {
  name: 'partition-one-way',
  needsHosts: true,
  description:
    'one of two chain neighbours stops hearing the other (Jepsen one-way drop: TCP breaks both ways, datagrams and the first copy of segments still flow the other way)',
  async run(context) {
    const { shard, pair } = await chainNeighbours(context);
    context.faults.requireLab(this.name);
    const [deaf, speaker] = context.random.next() < 0.5 ? pair : ([pair[1], pair[0]] as const);
    await holdGrudge(
      context,
      this.name,
      oneWayGrudge(speaker, deaf),
      `${deaf} stops hearing ${speaker} (neighbours in shard ${shard})`,
    );
  },
};

const managersFromNodes: Nemesis = {
  name: 'partition-managers-nodes',
  needsHosts: true,
  description: 'every manager cut from every node; both sides still reach Redis (and the gateway)',
  async run(context) {
    context.faults.requireLab(this.name);
    const managers = [...context.faults.cluster.managers.keys()];
    await holdGrudge(
      context,
      this.name,
      completeGrudge([managers, context.faults.nodeIds]),
      'managers | nodes',
    );
  },
};

/** A slow, lossy network (Jepsen's `net/shape!`): one host, or the two ends of one chain link. */
const slowNetwork: Nemesis = {
  name: 'slow-network',
  needsHosts: true,
  description:
    'tc netem: 100-500 ms delay with jitter and 5% loss on one node, or between two chain neighbours',
  async run(context) {
    const lab = context.faults.requireLab(this.name);
    const delayMs = 100 + Math.floor(context.random.next() * 401);
    const shape = { delayMs, jitterMs: Math.round(delayMs / 4), lossPercent: 5 };
    const holdMs = context.leaseMs * 3;
    let what: string;
    if (context.random.next() < 0.5) {
      const id = context.random.pick(context.faults.nodeIds);
      await lab.netem.shape(lab.host(id), shape);
      what = `everything ${id} sends`;
    } else {
      const { pair } = await chainNeighbours(context);
      const [a, b] = pair.map((id) => lab.host(id)) as [
        ReturnType<typeof lab.host>,
        ReturnType<typeof lab.host>,
      ];
      await lab.netem.shape(a, shape, [b]);
      await lab.netem.shape(b, shape, [a]);
      what = `${pair[0]} <-> ${pair[1]}`;
    }
    const from = context.timeline.record(
      this.name,
      'inject',
      `${what}: ${delayMs} ms +- ${shape.jitterMs} ms, ${shape.lossPercent}% loss for ${holdMs} ms (${lab.netem.mechanism})`,
    );
    try {
      await sleep(holdMs);
    } finally {
      await lab.heal();
      const to = context.timeline.record(this.name, 'heal', 'shapes removed');
      context.timeline.window(this.name, from, to);
    }
  },
};

/** Every partition nemesis, in the order the short schedule runs them (they need the lab's hosts). */
export const partitionNemeses: Nemesis[] = [
  halves,
  chainMinority,
  bridge,
  isolateNode,
  neighbours,
  oneWay,
  managersFromNodes,
  slowNetwork,
];
