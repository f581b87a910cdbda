import { performance } from 'node:perf_hooks';
import { sleep } from '@star/testkit';
import type { FaultSpan } from './availability.js';
import { runFaultStep } from './fault-step.js';
import type { Nemesis, NemesisContext } from './nemeses.js';
import type { Random } from './random.js';

/**
 * The timed, composed long schedule (`pnpm test:faults --long --minutes N`): like Jepsen's combined
 * nemesis it keeps drawing faults until the time is up, each fault one nemesis or two or three run
 * at once, and waits for a whole cluster after each.
 *
 * Which nemeses may run together: each claims the things it needs exclusive control of, and a
 * combination never has two parts with a claim in common. The things:
 * - `network`: every partition and shaping nemesis installs lab rules (or proxy cuts) and heals
 *   with `lab.heal()` / `healNetwork()`, which removes *every* rule: one would heal the other.
 * - `redis`: the Redis processes (kill, SIGSTOP, Sentinel failover); two would restart or freeze
 *   the same server, and a failover check would see the other's kill. The Sentinel primary kill
 *   claims `network` too: it checks a replica is promoted in time, which needs a sentinel quorum.
 * - `nodes`: killing, pausing, restarting a node, or filling its disk (n5). Each picks its node at
 *   random, so two could pick the same one (a restart of a node another holds dead, a kill of the
 *   node whose full disk is being watched), and two node-crash faults could take a whole chain.
 *   Network nemeses may still cut a node off while another is dead: that is RF-1 = 2 failures.
 * - `managers`: the leading manager (kill, pause) and failpoints armed on every manager.
 * - `checkpointer`: the one checkpointer, c1; its nemesis also asks the leader for a job.
 * - `clock`: the libfaketime timestamp files.
 * Two kinds run alone (`solo`), because they assert on one exact interleaving a second fault would
 * break for the harness's reasons, not Star's: the failpoint nemeses (they hold a reconfiguration
 * and crash the leader at one step), and rolling-restart (it waits for a whole cluster between
 * nodes). The Redis outages claim everything but the clock: their outage rules (outage-checks.ts)
 * assume the outage is the only fault (e.g. "no read fails during a short outage").
 */
export type Claim = 'network' | 'redis' | 'nodes' | 'managers' | 'checkpointer' | 'clock' | 'solo';

const claimsByName: Record<string, readonly Claim[]> = {
  'kill-node': ['nodes'],
  'pause-node': ['nodes'],
  'kill-two-of-chain': ['nodes'],
  'partition-node-redis': ['network'],
  'partition-node-inbound': ['network'],
  'redis-outage-short': ['redis', 'network', 'nodes', 'managers', 'checkpointer'],
  'redis-outage-long': ['redis', 'network', 'nodes', 'managers', 'checkpointer'],
  'redis-restart': ['redis'],
  'manager-leader-kill': ['managers'],
  'manager-leader-pause': ['managers'],
  'checkpointer-kill': ['checkpointer', 'managers'],
  'rolling-restart': ['solo'],
  'leader-crash-after-append': ['solo'],
  'leader-crash-mid-publication': ['solo'],
  'joiner-configure-dropped': ['solo'],
  'power-loss-head': ['solo'],
  'disk-full': ['nodes'],
  'clock-step': ['clock'],
  // It runs a script on the primary: a killed or frozen primary would hold it up.
  'redis-clock-step': ['redis'],
  'partition-halves': ['network'],
  'partition-chain-minority': ['network'],
  'partition-bridge': ['network'],
  'partition-isolate-node': ['network'],
  'partition-chain-neighbours': ['network'],
  'partition-one-way': ['network'],
  'partition-managers-nodes': ['network'],
  'slow-network': ['network'],
  // Its check (a replica promoted within its bound) needs the sentinels to reach each other.
  'sentinel-primary-kill': ['redis', 'network'],
  'sentinel-primary-isolated': ['redis', 'network'],
};

/** What a nemesis claims; one nobody classified runs alone (the safe default). */
export function claimsOf(name: string): readonly Claim[] {
  return claimsByName[name] ?? ['solo'];
}

/** Whether these nemeses may run at once: no claim twice, and nothing solo beside another. */
export function compatible(names: readonly string[]): boolean {
  if (names.length <= 1) return true;
  const seen = new Set<Claim>();
  for (const name of names) {
    for (const claim of claimsOf(name)) {
      if (claim === 'solo' || seen.has(claim)) return false;
      seen.add(claim);
    }
  }
  return true;
}

/** How many nemeses a fault combines: one half the time, two or three otherwise (as far as the pool allows). */
export function drawCombination(pool: readonly Nemesis[], random: Random): Nemesis[] {
  const roll = random.next();
  const size = roll < 0.5 ? 1 : roll < 0.8 ? 2 : 3;
  const first = random.pick(pool);
  const chosen = [first];
  for (const candidate of random.shuffle([...pool])) {
    if (chosen.length >= size) break;
    const names = [...chosen, candidate].map((n) => n.name);
    if (!chosen.includes(candidate) && compatible(names)) chosen.push(candidate);
  }
  return chosen;
}

export interface ComposedScheduleOptions {
  minutes: number;
  healTimeoutMs: number;
  gapMs: number;
  log: (line: string) => void;
}

/**
 * Draws and runs composed faults until `minutes` have passed (the fault under way finishes and
 * heals). Stops early when the cluster does not heal. Returns every fault's span, for availability.
 */
export async function runComposedSchedule(
  context: NemesisContext,
  pool: readonly Nemesis[],
  options: ComposedScheduleOptions,
  problems: string[],
): Promise<{ spans: FaultSpan[]; unhealed: boolean }> {
  const spans: FaultSpan[] = [];
  const deadline = performance.now() + options.minutes * 60_000;
  if (pool.length === 0) return { spans, unhealed: false };
  while (performance.now() < deadline) {
    const parts = drawCombination(pool, context.random);
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    options.log(`fault ${spans.length + 1}: ${parts.map((p) => p.name).join(' + ')} (${left} s left)`);
    const step = await runFaultStep(
      context,
      parts,
      { healTimeoutMs: options.healTimeoutMs, staggerMs: context.leaseMs },
      problems,
    );
    spans.push(step.span);
    if (!step.healed) return { spans, unhealed: true };
    await sleep(options.gapMs);
  }
  return { spans, unhealed: false };
}
