import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, cpuTime, machineCpu, machineLoad } from './process-stats.js';

/** Cores busy with other processes than `ownPids` (and this one) over the next `windowMs`. */
export async function foreignCores(ownPids: number[], windowMs = 1_000): Promise<number> {
  const own = () =>
    [...ownPids, 'self' as const].reduce((sum: number, pid) => {
      try {
        return sum + cpuSeconds(cpuTime(pid));
      } catch {
        return sum; // a process that ended
      }
    }, 0);
  const machineBefore = machineCpu();
  const ownBefore = own();
  const started = performance.now();
  await sleep(windowMs);
  const seconds = (performance.now() - started) / 1000;
  const busy = machineLoad(machineBefore, machineCpu()).busy * availableParallelism();
  return Math.max(0, busy - (own() - ownBefore) / seconds);
}

/**
 * On a shared machine other work (builds, test suites) competes for the same cores: waits up to
 * `maxWaitS` for it to fall below `thresholdCores`, so a run measures the chain and not the neighbours.
 */
export async function waitForQuietMachine(params: {
  ownPids: number[];
  maxWaitS: number;
  thresholdCores: number;
  log: (line: string) => void;
}): Promise<number> {
  const deadline = Date.now() + params.maxWaitS * 1000;
  let foreign = await foreignCores(params.ownPids);
  let told = false;
  while (foreign > params.thresholdCores && Date.now() < deadline) {
    if (!told) {
      params.log(
        `  other processes keep ${foreign.toFixed(2)} cores busy; waiting up to ${params.maxWaitS} s ...`,
      );
      told = true;
    }
    foreign = await foreignCores(params.ownPids, 2_000);
  }
  if (told) params.log(`  other processes now at ${foreign.toFixed(2)} cores; going on`);
  return foreign;
}
