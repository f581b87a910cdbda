import { canMountTmpfs, cleanupStaleTmpfs, SizedTmpfs, sleep, waitFor } from '@star/testkit';
import type { FaultCluster } from './fault-cluster.js';
import type { Nemesis } from './nemeses.js';

/** The node whose data dir lives on a size-limited tmpfs, for the disk-full nemesis. */
const diskNode = 'n5';
/**
 * Room for every shard's database and WAL (SQLite checkpoints at 32 MiB of WAL and truncates it to
 * 64 MiB: shard-store.ts), so the node never fills up before the nemesis fills it. tmpfs takes RAM
 * only as it fills; the filler takes the rest for the nemesis's few seconds.
 */
const tmpfsBytes = 640 * 1024 * 1024;

const mounts = new Map<string, SizedTmpfs>();

/**
 * Data dirs on tmpfs: `prepareDataDir` runs before a node's first start (FaultCluster's hook) and
 * mounts the tmpfs for `diskNode`; `unmountAll` runs once the run is over. Without root this says
 * so loudly (and fails under CI=true, see canMountTmpfs), and the nemesis reports itself not run.
 */
export const diskFaultDirs = {
  prepareDataDir(id: string, dataDir: string): void {
    if (id !== diskNode || !canMountTmpfs('the disk-full nemesis')) return;
    cleanupStaleTmpfs();
    try {
      mounts.set(id, SizedTmpfs.mount(dataDir, tmpfsBytes));
    } catch (error) {
      // Root without the right to mount (a container without CAP_SYS_ADMIN, say).
      const message = `the disk-full nemesis could not mount a tmpfs: ${(error as Error).message}`;
      if (process.env.CI === 'true') throw new Error(`${message} (CI=true: failing instead of skipping)`);
      console.error(`\n*** NOT RUN: ${message} ***\n`);
    }
  },
  /**
   * Stops the nodes whose data dir is a tmpfs, then unmounts it: before the cluster removes its
   * temp dir (a mount point in it is busy), after its node (an open database keeps it busy).
   */
  async unmountAll(faults: FaultCluster): Promise<void> {
    for (const [id, tmpfs] of mounts) {
      const node = faults.cluster.nodes.get(id);
      if (node?.process.isRunning()) await node.process.stop();
      tmpfs.unmount();
    }
    mounts.clear();
  },
};

const diskFull: Nemesis = {
  name: 'disk-full',
  description:
    `fill the tmpfs under ${diskNode}'s data dir: it refuses writes (InsufficientStorage), stops renewing ` +
    'its lease and is chained around; free the space after 2x the lease more: it re-enters its chains',
  async run(context) {
    const tmpfs = mounts.get(diskNode);
    if (tmpfs === undefined) {
      context.timeline.record(this.name, 'not-run', 'no tmpfs: this run is not root');
      return;
    }
    const { faults, timeline, leaseMs } = context;
    tmpfs.fill();
    const filledAt = timeline.record(
      this.name,
      'inject',
      `filled ${diskNode}'s data dir (${tmpfs.freeBytes()} bytes left)`,
    );
    // The node notices at its next write that needs space, and the manager after its lease.
    const aroundMs = await waitFor(
      async () =>
        (await faults.shards()).some((shard) => shard.chain.includes(diskNode)) ? undefined : true,
      { description: `${diskNode} chained around`, timeoutMs: leaseMs * 3 + 15_000, intervalMs: 100 },
    ).then(
      () => Math.round(performance.now() - filledAt),
      () => undefined,
    );
    await sleep(leaseMs * 2);
    tmpfs.release();
    timeline.record(
      this.name,
      'heal',
      `freed ${diskNode}'s data dir; ${aroundMs === undefined ? 'it was NOT chained around' : `chained around after ${aroundMs} ms`}`,
    );
    if (aroundMs === undefined) throw new Error(`${diskNode} with a full disk was not chained around`);
  },
};

export const diskNemeses: Nemesis[] = [diskFull];
