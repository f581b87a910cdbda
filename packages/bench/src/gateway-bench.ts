import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StarClient } from '@star/client';
import { runClientLoad } from './client-load.js';
import { BENCH_NAMESPACE, benchKey, GatewayBenchCluster } from './gateway-bench-cluster.js';
import {
  type GatewayBenchOptions,
  type GatewayScenarioName,
  parseGatewayOptions,
} from './gateway-bench-options.js';
import { type LoadResult, runHttpLoad } from './http-load.js';
import { machineInfo } from './machine.js';
import { cpuSeconds, cpuTime, machineCpu, machineLoad } from './process-stats.js';
import { waitForQuietMachine } from './quiet-machine.js';
import { median, table } from './report.js';

/**
 * `pnpm bench:gateway`: requests/s and p50/p99 latency of GET and PUT through the gateway's REST
 * API (autocannon, N keep-alive connections) and through the client library (StarClient, C
 * concurrent callers) on Redis + 1 manager + 3 nodes + a gateway, all real processes.
 */
const log = (line = '') => console.log(line);

interface ScenarioRun extends LoadResult {
  scenario: GatewayScenarioName;
  run: number;
  /** Cores used over the window: the gateway, the three nodes, this process (load generator). */
  gatewayCores: number;
  nodeCores: number;
  generatorCores: number;
  /** Cores busy with anything else on the machine (other engineers' work, the manager, redis). */
  otherCores: number;
}

const randomKey = (options: GatewayBenchOptions) => benchKey(randomInt(options.keys));

function load(
  scenario: GatewayScenarioName,
  options: GatewayBenchOptions,
  bench: GatewayBenchCluster,
  client: StarClient,
  durationS: number,
): Promise<LoadResult> {
  const value = Buffer.alloc(options.valueBytes, 'y');
  const keyPath = () => `/v1/namespaces/${BENCH_NAMESPACE}/keys/${randomKey(options)}`;
  const http = { url: bench.gateway.url, connections: options.connections, durationS, nextPath: keyPath };
  const auth = bench.cluster.authHeaders;
  switch (scenario) {
    case 'http-get':
      return runHttpLoad({ ...http, method: 'GET', headers: auth });
    case 'http-put':
      return runHttpLoad({
        ...http,
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: value,
      });
    case 'client-get':
      return runClientLoad({
        client,
        callers: options.callers,
        durationS,
        call: (c) => c.get(BENCH_NAMESPACE, randomKey(options)),
      });
    case 'client-put':
      return runClientLoad({
        client,
        callers: options.callers,
        durationS,
        call: (c) => c.put(BENCH_NAMESPACE, randomKey(options), value),
      });
  }
}

async function measured(
  scenario: GatewayScenarioName,
  run: number,
  options: GatewayBenchOptions,
  bench: GatewayBenchCluster,
  client: StarClient,
): Promise<ScenarioRun> {
  if (options.quietWaitS > 0)
    await waitForQuietMachine({
      ownPids: bench.pids,
      maxWaitS: options.quietWaitS,
      thresholdCores: options.quietCores,
      log,
    });
  if (options.warmupS > 0) await load(scenario, options, bench, client, options.warmupS);
  const gatewayPid = bench.cluster.gateways.get('g1')!.process.pid;
  const nodePids = [...bench.cluster.nodes.values()].map((node) => node.process.pid);
  const cpu = () => ({
    gateway: cpuSeconds(cpuTime(gatewayPid)),
    nodes: nodePids.reduce((sum, pid) => sum + cpuSeconds(cpuTime(pid)), 0),
    self: cpuSeconds(cpuTime('self')),
    machine: machineCpu(),
  });
  const before = cpu();
  const started = performance.now();
  const result = await load(scenario, options, bench, client, options.durationS);
  const seconds = (performance.now() - started) / 1000;
  const after = cpu();
  bench.checkAlive();
  const gatewayCores = (after.gateway - before.gateway) / seconds;
  const nodeCores = (after.nodes - before.nodes) / seconds;
  const generatorCores = (after.self - before.self) / seconds;
  const busy = machineLoad(before.machine, after.machine).busy * availableParallelism();
  return {
    ...result,
    scenario,
    run,
    gatewayCores,
    nodeCores,
    generatorCores,
    otherCores: Math.max(0, busy - gatewayCores - nodeCores - generatorCores),
  };
}

const int = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => value.toFixed(2);

function formatRun(result: ScenarioRun): string {
  const failures = Object.entries(result.failures);
  return [
    `  ${int(result.requestsPerS)} req/s; latency ms p50 ${ms(result.latency.p50Ms)} / p99 ${ms(result.latency.p99Ms)} / max ${ms(result.latency.maxMs)}`,
    `  cores: gateway ${result.gatewayCores.toFixed(2)}, nodes ${result.nodeCores.toFixed(2)}, load generator ${result.generatorCores.toFixed(2)}, everything else ${result.otherCores.toFixed(2)}`,
    ...(failures.length > 0 ? [`  FAILURES ${failures.map(([kind, n]) => `${kind}×${n}`).join(', ')}`] : []),
  ].join('\n');
}

function summary(runs: ScenarioRun[], options: GatewayBenchOptions): string {
  const rows = options.scenarios.map((scenario) => {
    const of = runs.filter((run) => run.scenario === scenario);
    const m = (pick: (run: ScenarioRun) => number) => median(of.map(pick));
    const failures = of.reduce((sum, run) => sum + Object.values(run.failures).reduce((a, b) => a + b, 0), 0);
    return [
      scenario,
      String(scenario.startsWith('http') ? options.connections : options.callers),
      int(m((run) => run.requestsPerS)),
      ms(m((run) => run.latency.p50Ms)),
      ms(m((run) => run.latency.p99Ms)),
      m((run) => run.gatewayCores).toFixed(2),
      m((run) => run.nodeCores).toFixed(2),
      m((run) => run.generatorCores).toFixed(2),
      m((run) => run.otherCores).toFixed(2),
      String(failures),
    ];
  });
  return table(
    [
      'scenario',
      'in flight',
      'req/s',
      'p50 ms',
      'p99 ms',
      'gateway cores',
      'node cores',
      'generator cores',
      'other cores',
      'failures',
    ],
    rows,
  );
}

async function main(): Promise<void> {
  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  const options = parseGatewayOptions(
    process.argv.slice(2).filter((arg) => arg !== '--'),
    resultsDir,
  );
  if (options === undefined) return;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  log(
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}`,
  );
  log(
    `starting redis + 1 manager + 3 nodes + a gateway; namespace ${BENCH_NAMESPACE}: ${options.shards} shards × RF 3 ...`,
  );
  const bench = await GatewayBenchCluster.start(options);
  const runs: ScenarioRun[] = [];
  try {
    log(`  gateway ${bench.gateway.url}`);
    log(`preloading ${options.keys.toLocaleString('en-US')} keys of ${options.valueBytes} B ...`);
    await bench.preload(options);
    const client = await bench.client(options.lingerMs);
    try {
      for (let run = 1; run <= options.repeat; run++) {
        for (const scenario of options.scenarios) {
          const inFlight = scenario.startsWith('http')
            ? `${options.connections} HTTP connections (autocannon)`
            : `${options.callers} StarClient callers, linger ${options.lingerMs} ms`;
          log();
          log(
            `== ${scenario} (run ${run}/${options.repeat}): ${options.durationS} s after ${options.warmupS} s warm-up, ${inFlight}`,
          );
          const result = await measured(scenario, run, options, bench, client);
          log(formatRun(result));
          runs.push(result);
        }
      }
    } finally {
      client.close();
    }
  } finally {
    await bench.stop();
  }
  log();
  log(`== summary${options.repeat > 1 ? ` (medians of ${options.repeat} runs)` : ''}`);
  log(summary(runs, options));
  mkdirSync(options.resultsDir, { recursive: true });
  const path = join(options.resultsDir, `gateway-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify({ startedAt, machine, options, runs }, null, 2)}\n`);
  log();
  log(`results written to ${path}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
