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

/** Where the leader holds still, a node's death journaled in two steps and the second not yet published. */
interface HeldReconfiguration {
  leaderId: string;
  leader: RunningService;
  /** The node that joins each shard the dead node left: shard id -> joiner. */
  joiners: Map<number, string>;
  /** Releases the held leader; it goes on to publish the second step. */
  release(): Promise<void>;
}

/** The two appends a node's death makes, each held on its own (the point's tag is the reason). */
const failureAppend = 'manager.after-journal-append@failure';
const restoreAppend = 'manager.after-journal-append@restore';

/**
 * Kills node `victim` and holds the leader (a `pause` at `manager.after-journal-append`, tagged
 * `failure`, then one tagged `restore`) at each of the two journal appends a node's death makes:
 * first the chains without the dead node (which is let through and published), then the replacements that bring each chain back to RF. Returns with
 * the second held: journaled, nothing of it published, so a nemesis can arm the exact step it
 * wants to break before releasing it. A crash here is the worst case: a crash after the first
 * append is repaired by the second, which the next leader makes anyway.
 */
async function holdReplacement(
  context: NemesisContext,
  nemesis: string,
  victim: string,
): Promise<HeldReconfiguration> {
  const { faults, timeline } = context;
  const before = await faults.shards();
  const { id: leaderId, service: leader } = await leadingManager(context);
  const rf = faults.options.replicationFactor;
  await faults.failpoints.arm(leader, failureAppend, 'pause');
  await faults.failpoints.arm(leader, restoreAppend, 'pause');
  faults.node(victim).process.kill('SIGKILL');
  timeline.record(
    nemesis,
    'inject',
    `armed ${failureAppend}=pause and ${restoreAppend}=pause on leader ${leaderId}; kill -9 ${victim}`,
  );
  // Whatever else the leader journals meanwhile (a head hand-over, a trim) is not held.
  const release = async () => {
    await faults.failpoints.disarm(leader, failureAppend);
    await faults.failpoints.disarm(leader, restoreAppend);
  };
  try {
    const journaled = (test: (shards: Shard[]) => boolean, what: string) =>
      waitFor(async () => test(await faults.shards()), {
        description: `${leaderId} to journal ${what}`,
        timeoutMs: context.leaseMs * 10,
        intervalMs: 20,
      });
    const left = before.filter((s) => s.chain.includes(victim)).map((s) => s.id);
    await journaled(
      (now) => left.every((id) => !now.find((s) => s.id === id)?.chain.includes(victim)),
      `the chains without ${victim}`,
    );
    const restored = (now: Shard[]) => left.every((id) => now.find((s) => s.id === id)?.chain.length === rf);
    // Releases the held first step; the replacements' append stays armed and holds next.
    await faults.failpoints.disarm(leader, failureAppend);
    await journaled(restored, 'the replacements');
  } catch (error) {
    await release().catch(() => undefined);
    await faults.restartNode(victim);
    throw error;
  }
  const now = await faults.shards();
  const joiners = new Map<number, string>();
  for (const shard of now) {
    const old = before.find((s) => s.id === shard.id)!;
    const joiner = shard.chain.find((id) => !old.chain.includes(id));
    if (joiner !== undefined) joiners.set(shard.id, joiner);
  }
  if (joiners.size === 0) {
    await release().catch(() => undefined);
    await faults.restartNode(victim);
    throw new Error(`${leaderId} journaled no replacement for ${victim}`);
  }
  timeline.record(
    nemesis,
    'check',
    `${leaderId} holds the journaled replacements ${[...joiners].map(([s, n]) => `${n}->shard ${s}`).join(', ')}, unpublished`,
  );
  return { leaderId, leader, joiners, release };
}

/** Arms `point=1*exit` on the held leader, releases it, and waits for it to crash there. */
async function crashHeldLeaderAt(
  context: NemesisContext,
  nemesis: string,
  held: HeldReconfiguration,
  point: string,
): Promise<void> {
  const { faults, timeline } = context;
  await faults.failpoints.arm(held.leader, point, '1*exit');
  // The released leader may crash before it answers the release: waiting for the crash says more.
  await held.release().catch(() => undefined);
  timeline.record(nemesis, 'inject', `armed ${point}=1*exit on ${held.leaderId} and released it`);
  await waitFor(() => !held.leader.process.isRunning(), {
    description: `${held.leaderId} to crash at ${point}`,
    timeoutMs: context.leaseMs * 10,
    intervalMs: 20,
  }).catch(async (error: unknown) => {
    await faults.failpoints.disarm(held.leader, point).catch(() => undefined);
    throw error;
  });
  timeline.record(nemesis, 'check', `${held.leaderId} crashed at ${point}`);
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
  // Held down past the lease, so a new leader that reconciles has time to do it with the node dead.
  await sleep(context.leaseMs * 2);
  await context.faults.restartNode(victim);
  context.timeline.record(nemesis, 'heal', `restarted ${victim}`);
}

const leaderCrashAfterAppend: Nemesis = {
  name: 'leader-crash-after-append',
  description:
    "kill -9 a node; the leading manager SIGKILLs itself between journaling the node's replacements and publishing them (manager.before-publish=1*exit); restart both",
  async run(context) {
    const victim = context.random.pick(context.faults.nodeIds);
    const held = await holdReplacement(context, this.name, victim);
    await crashHeldLeaderAt(context, this.name, held, 'manager.before-publish');
    await recoverFromLeaderCrash(context, this.name, held.leaderId, victim);
  },
};

const leaderCrashMidPublication: Nemesis = {
  name: 'leader-crash-mid-publication',
  description:
    'kill -9 a node; the leading manager SIGKILLs itself while publishing the replacements: config key written, the old members told, the joiner not (manager.before-configure@<joiner>=1*exit); restart both',
  async run(context) {
    const victim = context.random.pick(context.faults.nodeIds);
    const held = await holdReplacement(context, this.name, victim);
    const joiner = context.random.pick([...new Set(held.joiners.values())]);
    await crashHeldLeaderAt(context, this.name, held, `manager.before-configure@${joiner}`);
    await recoverFromLeaderCrash(context, this.name, held.leaderId, victim);
  },
};

const joinerConfigureDropped: Nemesis = {
  name: 'joiner-configure-dropped',
  description:
    'kill -9 a node; every configure call to a node joining its chains fails (manager.before-configure@<joiner>=error, on every manager) for 3x the lease; then disarmed, the node restarted',
  async run(context) {
    const { faults, timeline } = context;
    const victim = context.random.pick(faults.nodeIds);
    const held = await holdReplacement(context, this.name, victim);
    const joiner = context.random.pick([...new Set(held.joiners.values())]);
    const point = `manager.before-configure@${joiner}`;
    const managers = [...faults.cluster.managers.values()].filter((m) => m.process.isRunning());
    try {
      for (const manager of managers) await faults.failpoints.arm(manager, point, 'error(Unavailable)');
      await held.release();
      timeline.record(
        this.name,
        'inject',
        `armed ${point}=error on every manager; released ${held.leaderId}`,
      );
      await sleep(context.leaseMs * 3);
    } finally {
      await held.release().catch(() => undefined);
      for (const manager of managers) await faults.failpoints.disarm(manager, point).catch(() => undefined);
      timeline.record(this.name, 'heal', `disarmed ${point}`);
      await faults.restartNode(victim);
      timeline.record(this.name, 'heal', `restarted ${victim}`);
    }
  },
};

/** WAL frames each shard database of the powered-off node loses (a few append batches' worth). */
const framesLost = 32;
/** How long the restarted head runs before the managers may react (they are held till then). */
const unnoticedMs = 4_500;

const powerLossHead: Nemesis = {
  name: 'power-loss-head',
  description: `kill -9 the head of a shard, cut the last ${framesLost} frames off each of its shard WALs (an un-synced WAL under synchronous=NORMAL), restart it before the managers react (manager.journal-tail=pause on every manager until it has run ${unnoticedMs} ms)`,
  async run(context) {
    const { faults, timeline } = context;
    const shard = context.random.pick(await faults.shards());
    const head = shard.chain[0]!;
    const seen = (await faults.nodeStatus(head)).shards.find((s) => s.shard === shard.id);
    // A restart inside the lease is the case that matters (the node comes back before anyone chains
    // around it); a node takes longer than a lease to start on a loaded machine, so the managers
    // are held at their journal tail instead: they see nothing until the restarted head has run.
    const managers = [...faults.cluster.managers.values()].filter((m) => m.process.isRunning());
    const tail = 'manager.journal-tail';
    for (const manager of managers) await faults.failpoints.arm(manager, tail, 'pause');
    try {
      const process = faults.node(head).process;
      process.kill('SIGKILL');
      await process.exited;
      timeline.record(
        this.name,
        'inject',
        `${tail}=pause on every manager; kill -9 ${head}, head of shard ${shard.id}`,
      );
      const dataDir = faults.dataDirOf(head);
      const cuts: string[] = [];
      for (const file of readdirSync(dataDir).filter((name) => /^shard-\d+\.sqlite$/.test(name))) {
        const cut = cutWalFrames(join(dataDir, file), framesLost);
        cuts.push(`${file} ${cut.framesCut}/${cut.framesBefore}`);
      }
      timeline.record(this.name, 'inject', `power loss on ${head}: WAL frames cut ${cuts.join(', ')}`);
      await faults.restartNode(head);
      const restarted = (await faults.nodeStatus(head)).shards.find((s) => s.shard === shard.id);
      timeline.record(
        this.name,
        'heal',
        `restarted ${head}; shard ${shard.id}: lastSeq ${seen?.lastSeq} commitSeq ${seen?.commitSeq} at term ${seen?.term} before the kill, ` +
          `lastSeq ${restarted?.lastSeq} at term ${restarted?.term} (${restarted?.role}) after the restart`,
      );
      await sleep(unnoticedMs);
      const ran = (await faults.nodeStatus(head)).shards.find((s) => s.shard === shard.id);
      timeline.record(
        this.name,
        'check',
        `after ${unnoticedMs} ms unnoticed: ${head} at lastSeq ${ran?.lastSeq} commitSeq ${ran?.commitSeq} term ${ran?.term} (${ran?.role})`,
      );
    } finally {
      for (const manager of managers) await faults.failpoints.disarm(manager, tail).catch(() => undefined);
      timeline.record(this.name, 'heal', `disarmed ${tail}`);
    }
  },
};

/** The failpoint nemeses, in the order the short schedule runs them (after the others). */
export const failpointNemeses: Nemesis[] = [
  leaderCrashAfterAppend,
  leaderCrashMidPublication,
  joinerConfigureDropped,
  powerLossHead,
];
