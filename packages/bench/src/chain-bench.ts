import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchCluster, startLoad } from './bench-cluster.js';
import { enableNodeCpuProfiles } from './cpu-profiles.js';
import { machineInfo } from './machine.js';
import { type MemoryResult, runMemory } from './memory-scenario.js';
import { type BenchOptions, parseOptions } from './options.js';
import { waitForQuietMachine } from './quiet-machine.js';
import { formatMemory, formatRun, medians, summaryTable, targetLines, writeReport } from './report.js';
import {
  concurrencyOf,
  runThroughput,
  THROUGHPUT_PREFIX,
  type ThroughputName,
  type ThroughputResult,
} from './throughput-scenario.js';

/**
 * `pnpm bench:chain`: throughput, latency and CPU cost of a 3-node chain (one shard) under read-only,
 * write-only and 90/10 loads, then each node's memory with a million keys. Prints as it goes, ends
 * with a summary and the issue's targets, and writes everything as JSON under results/.
 */
const log = (line = '') => console.log(line);
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function throughputPhase(
  options: BenchOptions,
  scenarios: ThroughputName[],
): Promise<ThroughputResult[]> {
  log('starting a 3-node chain (n1 head → n2 → n3 tail) ...');
  const cluster = await BenchCluster.start();
  const results: ThroughputResult[] = [];
  try {
    log(
      `  nodes: ${cluster.nodes.map((node) => `${node.id} ${node.role} pid ${node.pid} ${node.address}`).join('; ')}`,
    );
    const generator = await startLoad(cluster, options, 10_000);
    try {
      const preloadStarted = Date.now();
      log(`preloading ${options.keys.toLocaleString('en-US')} keys of ${options.valueBytes} B ...`);
      await generator.load(THROUGHPUT_PREFIX, options.keys, Math.min(options.concurrency, 256));
      log(`  done in ${elapsed(preloadStarted)}`);
      for (let run = 1; run <= options.repeat; run++) {
        for (const scenario of scenarios) {
          log();
          log(
            `== ${scenario} (run ${run}/${options.repeat}): ${options.durationS} s measured after ${options.warmupS} s warm-up, ` +
              `${concurrencyOf(scenario, options)} in flight over ${options.workers} worker(s) × ${options.clientsPerNode} connection(s) per node, ` +
              `reads ${options.readPolicy}`,
          );
          if (options.quietWaitS > 0) {
            await waitForQuietMachine({
              ownPids: [...cluster.nodes.map((node) => node.pid), cluster.redisPid],
              maxWaitS: options.quietWaitS,
              thresholdCores: options.quietCores,
              log,
            });
          }
          const result = await runThroughput({ cluster, generator, options, scenario, run, log });
          log(formatRun(result));
          if (options.cpuProfDir !== undefined) {
            log(`  profile window --from ${result.monotonicWindowUs[0]} --to ${result.monotonicWindowUs[1]}`);
          }
          results.push(result);
        }
      }
    } finally {
      await generator.close();
    }
  } finally {
    await cluster.stop();
  }
  return results;
}

async function main(): Promise<void> {
  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
  const options = parseOptions(
    process.argv.slice(2).filter((arg) => arg !== '--'),
    resultsDir,
  );
  if (options === undefined) return;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  log(
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}`,
  );
  if (options.cpuProfDir !== undefined) {
    const dir = enableNodeCpuProfiles(options.cpuProfDir);
    log(`node processes will write CPU profiles to ${dir} when they stop`);
  }

  const throughput = options.scenarios.filter((name): name is ThroughputName => name !== 'memory');
  const runs = throughput.length > 0 ? await throughputPhase(options, throughput) : [];

  let memory: MemoryResult | undefined;
  if (options.scenarios.includes('memory')) {
    log();
    log(
      `== memory: ${options.memoryKeys.toLocaleString('en-US')} keys of ${options.valueBytes} B on a fresh chain, ` +
        `${options.memoryConcurrency} writes in flight`,
    );
    memory = await runMemory(options, log);
    log(formatMemory(memory));
  }

  const summary = medians(runs);
  const verdicts = targetLines(summary, memory);
  log();
  log(`== summary${options.repeat > 1 ? ` (medians of ${options.repeat} runs)` : ''}`);
  if (summary.length > 0) log(summaryTable(summary));
  if (memory) log(formatMemory(memory));
  log();
  log('== targets');
  for (const line of verdicts) log(`  ${line}`);
  const path = writeReport(options.resultsDir, {
    startedAt,
    machine,
    options,
    runs,
    medians: summary,
    memory,
    targets: verdicts,
  });
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
