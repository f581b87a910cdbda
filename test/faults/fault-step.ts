import { performance } from 'node:perf_hooks';
import { sleep } from '@star/testkit';
import type { FaultSpan } from './availability.js';
import type { Nemesis, NemesisContext } from './nemeses.js';

export interface FaultStepOptions {
  /** The heal bound: the cluster whole (chains at RF, heads even) within this long after the fault. */
  healTimeoutMs: number;
  /** Latest start of a later part after the first, drawn from the run's Random (0: all at once). */
  staggerMs?: number;
}

export interface FaultStepResult {
  span: FaultSpan;
  healed: boolean;
}

/**
 * One fault of a schedule: its parts (one nemesis, or a combination) run concurrently, each
 * injecting, holding and healing its own fault; then the cluster must be whole within the heal
 * bound. A part that throws is a problem, and the others still run to their heal. With one part
 * this is what the short schedule always did (same timeline records, no stagger).
 */
export async function runFaultStep(
  context: NemesisContext,
  parts: readonly Nemesis[],
  options: FaultStepOptions,
  problems: string[],
): Promise<FaultStepResult> {
  const { timeline, faults, random } = context;
  const name = parts.map((part) => part.name).join('+');
  const from = performance.now();
  if (parts.length > 1) timeline.record(name, 'compose', `${parts.length} nemeses at once`);
  const delays = parts.map((_, i) =>
    i === 0 || !options.staggerMs ? 0 : Math.floor(random.next() * options.staggerMs),
  );
  await Promise.all(
    parts.map(async (nemesis, i) => {
      if (delays[i]! > 0) await sleep(delays[i]!);
      try {
        await nemesis.run(context);
      } catch (error) {
        timeline.record(nemesis.name, 'error', (error as Error).message);
        problems.push(`${nemesis.name}: ${(error as Error).message}`);
      }
    }),
  );
  const endedAt = performance.now();
  const span: FaultSpan = {
    name,
    parts: parts.map((part) => part.name),
    from,
    endedAt,
    healBoundMs: options.healTimeoutMs,
  };
  try {
    const healed = await faults.waitHealthy(options.healTimeoutMs);
    span.healedAt = performance.now();
    timeline.record(
      name,
      'healed',
      `chains whole after ${healed.wholeMs} ms, heads even after ${healed.balancedMs} ms`,
    );
    return { span, healed: true };
  } catch (error) {
    timeline.record(name, 'error', (error as Error).message);
    problems.push(`${name}: the cluster did not heal: ${(error as Error).message}`);
    return { span, healed: false };
  }
}
