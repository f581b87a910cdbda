import { ensureLibfaketime, FakeClock, sleep, stepRedisKeyClock } from '@star/testkit';
import type { FaultClusterOptions } from './fault-cluster.js';
import type { Nemesis, NemesisContext } from './nemeses.js';

/** The node with a wall clock of its own. */
const clockNode = 'n4';
/** How far a step moves a wall clock: far beyond every lease, so a lease on it would break. */
const stepSeconds = 30;

interface Clocks {
  /** Managers, the other nodes, the gateway, the checkpointer. */
  services: FakeClock;
  node: FakeClock;
}

let clocks: Clocks | undefined;

/**
 * Fake wall clocks (libfaketime, `FakeClock`): `clusterEnv()` before the cluster starts gives every
 * process its clock — one for `clockNode`, one shared by every other service (managers, the other
 * nodes, the gateway, the checkpointer) — all
 * with CLOCK_MONOTONIC real, so what a step tests is that leases and timeouts never count on the
 * wall clock. Without libfaketime this says so loudly (fails under CI=true) and the nemesis
 * records itself not run.
 */
export const clockFaults = {
  clusterEnv(): FaultClusterOptions['env'] {
    const library = ensureLibfaketime('the clock-step nemesis');
    if (library === undefined) return undefined;
    clocks = {
      services: new FakeClock(library),
      node: new FakeClock(library),
    };
    const { services, node } = clocks;
    return {
      services: services.env(),
      node: (id) => (id === clockNode ? node.env() : {}),
    };
  },
  close(): void {
    for (const clock of Object.values(clocks ?? {})) clock.close();
    clocks = undefined;
  },
};

/** Steps one clock forward, holds, back past real time, holds, and back to real time. */
async function stepAndBack(context: NemesisContext, clock: FakeClock, whose: string, holdMs: number) {
  const { timeline } = context;
  clock.set(stepSeconds);
  timeline.record('clock-step', 'inject', `${whose} wall clock +${stepSeconds} s`);
  await sleep(holdMs);
  clock.set(-stepSeconds);
  timeline.record(
    'clock-step',
    'inject',
    `${whose} wall clock -${stepSeconds} s (a step back of ${2 * stepSeconds} s)`,
  );
  await sleep(holdMs);
  clock.set(0);
  timeline.record('clock-step', 'heal', `${whose} wall clock real again`);
}

const clockStep: Nemesis = {
  name: 'clock-step',
  description:
    `step wall clocks +${stepSeconds} s, then -${stepSeconds} s, then back: of ${clockNode} alone, of every ` +
    'other service (managers, nodes, gateway, checkpointer); monotonic clocks stay real (Redis: redis-clock-step)',
  async run(context) {
    if (clocks === undefined) {
      context.timeline.record(this.name, 'not-run', 'no libfaketime');
      return;
    }
    await stepAndBack(context, clocks.node, clockNode, context.leaseMs);
    await stepAndBack(context, clocks.services, 'every other service', context.leaseMs * 2);
  },
};

/**
 * Redis's clock stepped as its keys see it (`stepRedisKeyClock`: libfaketime cannot start
 * redis-server): +30 s, so every lease key, the leader key and the job locks are due 30 s early
 * (most expire at once); then back 60 s, so each lives a minute longer; then forward to real time.
 * Star must not count a vanished lease key as a death, nor a lingering one as a renewal.
 */
const redisClockStep: Nemesis = {
  name: 'redis-clock-step',
  description: `step Redis's clock (its key expiries) +${stepSeconds} s, then -${stepSeconds} s, then back to real time`,
  async run(context) {
    const { timeline } = context;
    const step = async (ms: number, what: string) => {
      const redis = (await context.faults.redisPrimary()).client();
      try {
        const { moved, expired } = await stepRedisKeyClock(redis, ms);
        const phase = what === 'real' ? 'heal' : 'inject';
        timeline.record(
          this.name,
          phase,
          `redis clock ${what}: ${expired} keys expired, ${moved} expiries moved`,
        );
      } finally {
        redis.disconnect();
      }
    };
    await step(stepSeconds * 1_000, `+${stepSeconds} s`);
    await sleep(context.leaseMs * 2);
    await step(-2 * stepSeconds * 1_000, `-${stepSeconds} s (a step back of ${2 * stepSeconds} s)`);
    await sleep(context.leaseMs * 2);
    await step(stepSeconds * 1_000, 'real');
  },
};

export const clockNemeses: Nemesis[] = [clockStep, redisClockStep];
