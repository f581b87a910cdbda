import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Shard } from '@star/protocol';
import { cutWalFrames, type RunningService, sleep, waitFor } from '@star/testkit';
import type { Nemesis, NemesisContext } from './nemeses.js';

/**
 * Nemeses built on failpoints (issue 13): each crashes or fails a process at one exact step of a
 * reconfiguration, where luck and sleeps would almost never land, then heals what it broke. The
 * runner's heal check afterwards (chains whole at RF and caught up, heads even) says whether the
 * control plane recovered on its own.
 */

/** The leading manager, as a process the nemesis can arm and watch. */
async function leadingManager(context: NemesisContext): Promise<{ id: string; service: RunningService }> {
  const { cluster } = context.faults;
  const { id } = await cluster.leader();
  return { id, service: cluster.managers.get(id)! };
}

/** Replicas per node over every chain. */
function loadOf(shards: Shard[], nodes: string[]): Map<string, number> {
  const load = new Map(nodes.map((id) => [id, 0]));
  for (const shard of shards) for (const id of shard.chain) load.set(id, (load.get(id) ?? 0) + 1);
  return load;
}

/**
 * Kills node `victim` to make the leader reconfigure, and waits for the armed manager to SIGKILL
 * itself at `point`. Disarms (and throws) if it never does: the fault did not happen.
 */
async function crashLeaderAt(
  context: NemesisContext,
  nemesis: string,
  point: string,
  victim: string,
): Promise<string> {
  const { faults, timeline } = context;
  const leader = await leadingManager(context);
  await faults.failpoints.arm(leader.service, point, '1*exit');
  timeline.record(nemesis, 'inject', `armed ${point}=1*exit on leader ${leader.id}`);
  faults.node(victim).process.kill('SIGKILL');
  timeline.record(nemesis, 'inject', `kill -9 ${victim} (the leader must reconfigure its chains)`);
  try {
    await waitFor(() => !leader.service.process.isRunning(), {
      description: `${leader.id} to crash at ${point}`,
      timeoutMs: context.leaseMs * 10,
      intervalMs: 20,
    });
  } catch (error) {
    await faults.failpoints.disarm(leader.service, point).catch(() => undefined);
    await faults.restartNode(victim);
    throw error;
  }
  timeline.record(nemesis, 'check', `${leader.id} crashed at ${point}`);
  return leader.id;
}

/** After a leader crash: another leads; the crashed one and the killed node start again. */
async function recoverFromLeaderCrash(
  context: NemesisContext,
  nemesis: string,
  crashed: string,
  victim: string,
): Promise<void> {
  const { cluster } = context.faults;
  const next = await cluster.leader(20_000);
  context.timeline.record(nemesis, 'check', `${next.id} leads`);
  await cluster.startManager(crashed);
  context.timeline.record(nemesis, 'heal', `restarted ${crashed}`);
  // The node stays down past its lease, so its chains are reconfigured around it by the new leader.
  await sleep(context.leaseMs * 2);
  await context.faults.restartNode(victim);
  context.timeline.record(nemesis, 'heal', `restarted ${victim}`);
}

const leaderCrashAfterAppend: Nemesis = {
  name: 'leader-crash-after-append',
  description:
    'the leading manager SIGKILLs itself right after journaling a reconfiguration (node kill -9), before publishing it; restart both',
  async run(context) {
    const victim = context.random.pick(context.faults.nodeIds);
    const crashed = await crashLeaderAt(context, this.name, 'manager.after-journal-append', victim);
    await recoverFromLeaderCrash(context, this.name, crashed, victim);
  },
};

const leaderCrashMidPublication: Nemesis = {
  name: 'leader-crash-mid-publication',
  description:
    'the leading manager SIGKILLs itself after the first configure call of a reconfiguration (node kill -9) was answered: config key written, one member told, the rest not',
  async run(context) {
    const shards = await context.faults.shards();
    const victim = context.random.pick(context.faults.nodeIds);
    const shard = context.random.pick(shards.filter((s) => s.chain.includes(victim)));
    const told = context.random.pick(shard.chain.filter((id) => id !== victim));
    const point = `manager.after-configure@${told}`;
    const crashed = await crashLeaderAt(context, this.name, point, victim);
    await recoverFromLeaderCrash(context, this.name, crashed, victim);
  },
};

const joinerConfigureDropped: Nemesis = {
  name: 'joiner-configure-dropped',
  description:
    'every configure call to the node that will join the chains of a killed node fails (manager.before-configure@<joiner>=error) for 3x the lease; then disarmed, the killed node restarted',
  async run(context) {
    const { faults, timeline } = context;
    const before = await faults.shards();
    const victim = context.random.pick(faults.nodeIds);
    // The manager places a replacement on the least-loaded non-member: that node will join.
    const load = loadOf(before, faults.nodeIds);
    const joiner = [...load]
      .filter(([id]) => id !== victim)
      .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]![0];
    const point = `manager.before-configure@${joiner}`;
    const managers = [...faults.cluster.managers.values()].filter((m) => m.process.isRunning());
    for (const manager of managers) await faults.failpoints.arm(manager, point, 'error(Unavailable)');
    timeline.record(this.name, 'inject', `armed ${point}=error on every manager`);
    faults.node(victim).process.kill('SIGKILL');
    timeline.record(this.name, 'inject', `kill -9 ${victim}`);
    try {
      const joined = await waitFor(
        async () => {
          const now = await faults.shards();
          const gained = now.filter(
            (s) => s.chain.includes(joiner) && !before.find((b) => b.id === s.id)?.chain.includes(joiner),
          );
          return gained.length > 0 ? gained.map((s) => s.id) : undefined;
        },
        { description: `${joiner} to be placed in a chain`, timeoutMs: context.leaseMs * 10 },
      ).catch(() => [] as number[]);
      timeline.record(
        this.name,
        'check',
        joined.length > 0
          ? `${joiner} placed as a joiner of shards ${joined.join(',')} while its configure calls fail`
          : `${joiner} was not placed in a new chain: only member configure calls were dropped`,
      );
      await sleep(context.leaseMs * 3);
    } finally {
      for (const manager of managers) await faults.failpoints.disarm(manager, point).catch(() => undefined);
      timeline.record(this.name, 'heal', `disarmed ${point}`);
      await faults.restartNode(victim);
      timeline.record(this.name, 'heal', `restarted ${victim}`);
    }
  },
};

/** WAL frames each shard database of the powered-off node loses (a few append batches' worth). */
const framesLost = 32;

const powerLossHead: Nemesis = {
  name: 'power-loss-head',
  description: `kill -9 the head of a shard, cut the last ${framesLost} frames off each of its shard WALs (an un-synced WAL under synchronous=NORMAL), restart it at once`,
  async run(context) {
    const { faults, timeline } = context;
    const shard = context.random.pick(await faults.shards());
    const head = shard.chain[0]!;
    const seen = (await faults.nodeStatus(head)).shards.find((s) => s.shard === shard.id);
    const process = faults.node(head).process;
    process.kill('SIGKILL');
    await process.exited;
    timeline.record(this.name, 'inject', `kill -9 ${head}, head of shard ${shard.id}`);
    const dataDir = faults.dataDirOf(head);
    const cuts: string[] = [];
    for (const file of readdirSync(dataDir).filter((name) => /^shard-\d+\.sqlite$/.test(name))) {
      const cut = cutWalFrames(join(dataDir, file), framesLost);
      cuts.push(`${file} ${cut.framesCut}/${cut.framesBefore}`);
    }
    timeline.record(this.name, 'inject', `power loss on ${head}: WAL frames cut ${cuts.join(', ')}`);
    await faults.restartNode(head);
    const after = (await faults.nodeStatus(head)).shards.find((s) => s.shard === shard.id);
    timeline.record(
      this.name,
      'heal',
      `restarted ${head}; shard ${shard.id} lastSeq ${seen?.lastSeq} at term ${seen?.term} before the kill, ` +
        `${after?.lastSeq} at term ${after?.term} (${after?.role}) after the restart`,
    );
  },
};

/** The failpoint nemeses, in the order the short schedule runs them (after the others). */
export const failpointNemeses: Nemesis[] = [
  leaderCrashAfterAppend,
  leaderCrashMidPublication,
  joinerConfigureDropped,
  powerLossHead,
];
