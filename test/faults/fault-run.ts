import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type CheckResult, checkHistory, findRepoRoot, formatCheckResult, sleep } from '@star/testkit';
import { clockFaults } from './clock-nemeses.js';
import { diskFaultDirs } from './disk-nemeses.js';
import { FaultCluster } from './fault-cluster.js';
import { FaultTimeline } from './fault-timeline.js';
import { checkFinalState, type LostWrite } from './final-state.js';
import { checkJournalKept } from './journal-check.js';
import { nemeses as baseNemeses, type Nemesis } from './nemeses.js';
import { sentinelNemeses } from './sentinel-nemeses.js';

const nemeses = [...baseNemeses, ...sentinelNemeses];

import { availabilityOf, type FaultSpan, formatAvailabilityTable, successesOf } from './availability.js';
import { runFaultStep } from './fault-step.js';
import { runComposedSchedule } from './long-schedule.js';
import { checkOutages } from './outage-checks.js';
import { Random } from './random.js';
import { RegisterWorkload } from './register-workload.js';
import { formatSummary, type RunSummary, summarize } from './run-summary.js';
import { formatSetCheck, type SetCheckResult } from './set-check.js';
import { SetWorkload } from './set-workload.js';

export type ScheduleName = 'short' | 'long';

export interface FaultRunOptions {
  schedule: ScheduleName;
  /** Rounds of the long schedule: each runs every nemesis once, in a shuffled order. */
  rounds?: number;
  /**
   * The long schedule timed and composed instead (`long-schedule.ts`): faults of one, two or three
   * nemeses at once drawn until this many minutes have passed. Wins over `rounds`.
   */
  minutes?: number;
  seed?: number;
  /** Run only these nemeses (by name), in schedule order. */
  only?: string[];
  /** Where run folders go (default `<repo>/reports/faults`). */
  reportsDir?: string;
}

export interface FaultRunResult {
  dir: string;
  summary: RunSummary;
  check: CheckResult;
  lostWrites: LostWrite[];
  /** The set workload's verdict (listing completeness): a violation is also in `problems`. */
  set: SetCheckResult;
  /** Broken rules other than linearizability and lost writes (outages, recovery), in words. */
  problems: string[];
}

const settings = {
  managers: 3,
  nodes: 5,
  shards: 8,
  replicationFactor: 3,
  namespace: 'faults',
  nodeLeaseMs: 1_500,
  managerLeaseMs: 1_500,
  clients: 32,
  keys: 48,
  warmupMs: 3_000,
  /** Quiet time between a healed fault and the next, so each fault meets a loaded, steady cluster. */
  gapMs: 1_500,
  /** The heal bound: chains whole and heads even within this long after a fault ends. */
  healTimeoutMs: 60_000,
};

/** The set workload beside the register workload (`set-workload.ts`). */
const setSettings = { prefix: 'set/', inserters: 4, insertPauseMs: 40, listPauseMs: 500, pageSize: 500 };

/** Run folders kept under the reports dir; older ones are removed. */
const keptRuns = 10;

/** The nemeses `only` names (every one when undefined), in list order; unknown names throw. */
export function nemesisPool(only?: string[]): Nemesis[] {
  const unknown = (only ?? []).filter((n) => !nemeses.some((nemesis) => nemesis.name === n));
  if (unknown.length > 0) throw new Error(`no nemesis ${unknown.join(', ')}`);
  return only === undefined ? [...nemeses] : nemeses.filter((nemesis) => only.includes(nemesis.name));
}

/**
 * The nemeses of a schedule: short = each once, but those with an open finding; long = `rounds`
 * shuffled passes over all of them. `only` (names) narrows either to those nemeses, to reproduce
 * one finding alone.
 */
export function scheduleOf(name: ScheduleName, random: Random, rounds = 4, only?: string[]): Nemesis[] {
  const chosen = nemesisPool(only);
  if (name === 'short') {
    // Nemeses named by `only` run whatever; otherwise open findings wait for the long schedule.
    return only === undefined ? chosen.filter((nemesis) => nemesis.openFinding === undefined) : [...chosen];
  }
  return Array.from({ length: rounds }, () => random.shuffle([...chosen])).flat();
}

/**
 * One fault run: a real cluster under the register workload, the schedule's faults one after
 * another (each healed, and the cluster whole again, before the next), then the final reads, the
 * linearizability check of the whole history, the lost-write check and the outage checks. Writes
 * the run folder and returns what it found; it never throws for a finding, only for a broken harness.
 */
export async function runFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const started = performance.now();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = new Random(seed);
  const timed = options.schedule === 'long' && options.minutes !== undefined;
  // Timed, the schedule is the pool the composed faults are drawn from: every nemesis once.
  const schedule = timed
    ? nemesisPool(options.only)
    : scheduleOf(options.schedule, random, options.rounds, options.only);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const reportsDir = options.reportsDir ?? join(findRepoRoot(), 'reports', 'faults');
  const dir = join(reportsDir, `${stamp}-${options.schedule}-seed${seed}`);
  mkdirSync(dir, { recursive: true });
  pruneOldRuns(reportsDir);
  // Every process the run starts logs into the run folder, for reading a failure after the fact.
  const previousLogDir = process.env.STAR_LOG_DIR;
  process.env.STAR_LOG_DIR = join(dir, 'logs');
  const log = (line: string) => console.info(`[faults] ${line}`);
  const shape = timed
    ? `${options.minutes} min composed from ${schedule.length} nemeses`
    : `${schedule.length} faults`;
  log(`schedule ${options.schedule} (${shape}), seed ${seed}, run folder ${dir}`);

  const timeline = new FaultTimeline();
  const problems: string[] = [];
  const keys = Array.from({ length: settings.keys }, (_, i) => `k${i}`);
  const clockEnv = clockFaults.clusterEnv();
  const faults = await FaultCluster.start({
    ...settings,
    prepareDataDir: diskFaultDirs.prepareDataDir,
    ...(clockEnv && { env: clockEnv }),
  });
  let workload: RegisterWorkload | undefined;
  let setWorkload: SetWorkload | undefined;
  try {
    if (faults.network === 'proxies') {
      const left = schedule.filter((nemesis) => nemesis.needsHosts);
      // FaultCluster said so loudly already (and failed under CI); the timeline names what did not run.
      const names = left.map((n) => n.name).join(', ');
      if (left.length > 0) {
        timeline.record('schedule', 'skip', `not run without namespaced hosts: ${names}`);
        log(`NOT RUN without namespaced hosts: ${names}`);
      }
      schedule.splice(0, schedule.length, ...schedule.filter((nemesis) => !nemesis.needsHosts));
    }
    if (faults.cluster.sentinel === undefined) {
      const left = schedule.filter((nemesis) => nemesis.needsSentinel);
      if (left.length > 0) {
        const names = left.map((n) => n.name).join(', ');
        timeline.record('schedule', 'skip', `not run without a Sentinel topology: ${names}`);
        log(
          `NOT RUN without a Sentinel topology (on by default with hosts; STAR_FAULTS_SENTINEL=1 forces it): ${names}`,
        );
      }
      schedule.splice(0, schedule.length, ...schedule.filter((nemesis) => !nemesis.needsSentinel));
    }
    workload = new RegisterWorkload({
      namespace: settings.namespace,
      keys,
      clients: settings.clients,
      managers: faults.cluster.managerUrls,
      gatewayUrl: faults.gateway.url,
      apiKey: faults.cluster.adminKey,
      clusterSecret: faults.clusterSecret,
    });
    await workload.start();
    timeline.record('workload', 'start', `${settings.clients} clients on ${settings.keys} keys`);
    setWorkload = new SetWorkload({
      ...setSettings,
      namespace: settings.namespace,
      managers: faults.cluster.managerUrls,
      gatewayUrl: faults.gateway.url,
      apiKey: faults.cluster.adminKey,
      clusterSecret: faults.clusterSecret,
    });
    await setWorkload.start();
    timeline.record(
      'set-workload',
      'start',
      `${setSettings.inserters} inserters under ${setSettings.prefix}, 2 listers`,
    );
    await sleep(settings.warmupMs);

    const context = { faults, timeline, random, leaseMs: settings.nodeLeaseMs };
    let unhealed = false;
    const spans: FaultSpan[] = [];
    if (timed) {
      const composed = await runComposedSchedule(
        context,
        schedule,
        { minutes: options.minutes!, healTimeoutMs: settings.healTimeoutMs, gapMs: settings.gapMs, log },
        problems,
      );
      spans.push(...composed.spans);
      unhealed = composed.unhealed;
    } else {
      for (const [index, nemesis] of schedule.entries()) {
        log(`${index + 1}/${schedule.length} ${nemesis.name}`);
        const step = await runFaultStep(
          context,
          [nemesis],
          { healTimeoutMs: settings.healTimeoutMs },
          problems,
        );
        spans.push(step.span);
        if (!step.healed) {
          unhealed = true;
          break;
        }
        await sleep(settings.gapMs);
      }
    }

    await workload.stop();
    await setWorkload.stop();
    timeline.record('workload', 'stop');
    // A run that broke off on an unhealed fault still reads what it can and writes its folder: the
    // history and the lost-write check are the evidence of what the fault did.
    // After a fault that did not heal, a short last look: the run is failed already.
    await faults.waitHealthy(unhealed ? 10_000 : settings.healTimeoutMs).catch((error: unknown) => {
      timeline.record('final', 'error', (error as Error).message);
      problems.push(`final: the cluster did not heal: ${(error as Error).message}`);
    });
    let final: { lost: LostWrite[]; replicaReads: number } = { lost: [], replicaReads: 0 };
    try {
      final = await checkFinalState({
        client: workload.reader,
        namespace: settings.namespace,
        keys,
        acknowledged: workload.acknowledged,
        history: workload.history,
      });
      timeline.record('final', 'check', `${keys.length} final reads, ${final.replicaReads} replica reads`);
    } catch (error) {
      timeline.record('final', 'error', (error as Error).message);
      problems.push(`final: the final reads failed: ${(error as Error).message}`);
    }

    const journal = await checkJournalKept(faults).catch((error: unknown) => [
      `journal check failed: ${(error as Error).message}`,
    ]);
    timeline.record(
      'final',
      'check',
      journal.length === 0 ? 'every term nodes run is journaled' : journal.join('; '),
    );
    problems.push(...journal);

    const set = await finalSetCheck(setWorkload, timeline, problems);

    const ops = workload.history.operations();
    const outages = checkOutages(ops, workload.notes, timeline.windows, {
      leaseMs: settings.nodeLeaseMs,
      deliverySlackMs: 1_000,
      resumeWithinMs: 10_000,
    });
    problems.push(...outages.problems);
    log('checking the history');
    const check = checkHistory(ops, { timeBudgetMs: 180_000 });
    const availability = availabilityOf(spans, successesOf(ops, setWorkload.inserts, setWorkload.listings));
    const summary = summarize({
      availability,
      schedule: options.schedule,
      seed,
      ops,
      timeline,
      check,
      lostWrites: final.lost,
      problems,
      findings: outages.findings,
      errorCounts: new Map([...workload.errorCounts, ...setWorkload.errorCounts]),
      elapsedMs: performance.now() - started,
      dir,
      via: workload.via,
    });
    writeFileSync(join(dir, 'history.jsonl'), workload.history.toJsonLines());
    writeFileSync(join(dir, 'timeline.jsonl'), timeline.toJsonLines());
    writeFileSync(
      join(dir, 'verdict.json'),
      `${JSON.stringify({ ...summary, lostWrites: final.lost, checker: { ...check, failures: check.failures.map((f) => ({ key: f.key, explanation: f.explanation })) } }, null, 2)}\n`,
    );
    writeFileSync(join(dir, 'availability.md'), formatAvailabilityTable(availability));
    writeFileSync(join(dir, 'set-verdict.json'), `${JSON.stringify(set, null, 2)}\n`);
    const text = `${formatSummary(summary)}${formatSetCheck(set)}\n${check.verdict === 'linearizable' ? '' : `\n${formatCheckResult(check)}\n`}`;
    writeFileSync(join(dir, 'summary.txt'), text);
    console.info(text);
    return { dir, summary, check, lostWrites: final.lost, set, problems };
  } finally {
    workload?.close();
    setWorkload?.close();
    try {
      await diskFaultDirs.unmountAll(faults);
    } finally {
      await faults.stop();
    }
    clockFaults.close();
    if (previousLogDir === undefined) delete process.env.STAR_LOG_DIR;
    else process.env.STAR_LOG_DIR = previousLogDir;
  }
}

/** The set workload's final listings and its check; a violation or no final listing is a problem. */
async function finalSetCheck(
  workload: SetWorkload,
  timeline: FaultTimeline,
  problems: string[],
): Promise<SetCheckResult> {
  await workload.listFinal();
  const set = workload.check();
  timeline.record('final', 'set-check', formatSetCheck(set).split('\n')[0]);
  if (set.listings.final === 0) problems.push('set workload: no final listing succeeded');
  if (!set.valid)
    problems.push(
      `set workload: ${set.violationCount} violations (${set.violations
        .slice(0, 3)
        .map((v) => `${v.rule} ${v.key}`)
        .join(', ')})`,
    );
  return set;
}

function pruneOldRuns(reportsDir: string): void {
  const runs = readdirSync(reportsDir).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keptRuns))) {
    rmSync(join(reportsDir, old), { recursive: true, force: true });
  }
}
