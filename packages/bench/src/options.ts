import { parseArgs } from 'node:util';

export const scenarioNames = ['read', 'write', 'mixed', 'memory'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export type ReadPolicy = 'round-robin' | 'pinned';

export interface BenchOptions {
  /** Measured seconds per throughput run (after the warm-up). */
  durationS: number;
  warmupS: number;
  /** How many times each throughput scenario runs; the summary shows medians. */
  repeat: number;
  /** Requests outstanding at once, over all load workers. */
  concurrency: number;
  /**
   * Requests in flight in the write-only scenario: a write is acknowledged only after a round trip
   * down the chain and back, so it takes more of them than reads to keep the nodes busy.
   */
  writeConcurrency: number;
  /** Worker threads generating load. */
  workers: number;
  /** LinkClients (WebSocket connections) per node, per worker. */
  clientsPerNode: number;
  keys: number;
  valueBytes: number;
  readPolicy: ReadPolicy;
  /** Send clientId/requestId with writes (exercises the head's dedup and the requests table). */
  requestIds: boolean;
  scenarios: ScenarioName[];
  memoryKeys: number;
  memoryConcurrency: number;
  settleS: number;
  /** Before each run, wait up to this long for other processes to use under `quietCores` cores. */
  quietWaitS: number;
  quietCores: number;
  /** Start the nodes with `--cpu-prof` into this directory (profiles are written when they exit). */
  cpuProfDir: string | undefined;
  /** Where the JSON results go. */
  resultsDir: string;
}

const usage = `Usage: pnpm bench:chain [options]

  --duration <s>            measured seconds per throughput run (default 10)
  --warmup <s>              unmeasured seconds before each run (default 2)
  --repeat <n>              runs per throughput scenario; the summary shows medians (default 1)
  --concurrency <n>         requests in flight over all workers, read-only and mixed (default 512)
  --write-concurrency <n>   requests in flight in the write-only scenario (default 2048)
  --workers <n>             load-generator worker threads (default 2)
  --clients-per-node <n>    connections per node per worker (default 1, as a client's LinkPool keeps)
  --keys <n>                key space of the throughput scenarios, preloaded (default 10000)
  --value-bytes <n>         value size (default 100)
  --read-policy <p>         round-robin: each read goes to the next replica;
                            pinned: each in-flight slot keeps one replica, so faster replicas serve more
                            (default round-robin)
  --request-ids             send clientId/requestId with writes
  --scenarios <list>        comma-separated of read,write,mixed,memory (default all)
  --memory-keys <n>         keys loaded in the memory scenario (default 1000000)
  --memory-concurrency <n>  writes in flight while loading them (default 512)
  --settle <s>              pause before the second RSS reading (default 10)
  --quiet-wait <s>          before each run, wait up to <s> for other processes on the machine to
                            quiet down (default 0: do not wait; their CPU is reported either way)
  --quiet-cores <n>         what counts as quiet, in cores busy with other processes (default 0.15)
  --cpu-prof <dir>          run the node processes with --cpu-prof, profiles into <dir>
  --results <dir>           where the JSON goes (default packages/bench/results)
  -h, --help`;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return value;
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0`);
  return value;
}

export function parseOptions(argv: string[], defaultResultsDir: string): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      concurrency: { type: 'string' },
      'write-concurrency': { type: 'string' },
      workers: { type: 'string' },
      'clients-per-node': { type: 'string' },
      keys: { type: 'string' },
      'value-bytes': { type: 'string' },
      'read-policy': { type: 'string' },
      'request-ids': { type: 'boolean' },
      scenarios: { type: 'string' },
      'memory-keys': { type: 'string' },
      'memory-concurrency': { type: 'string' },
      settle: { type: 'string' },
      'quiet-wait': { type: 'string' },
      'quiet-cores': { type: 'string' },
      'cpu-prof': { type: 'string' },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const readPolicy = values['read-policy'] ?? 'round-robin';
  if (readPolicy !== 'round-robin' && readPolicy !== 'pinned') {
    throw new Error('--read-policy must be round-robin or pinned');
  }
  const scenarios = (values.scenarios ?? scenarioNames.join(',')).split(',').map((name) => name.trim());
  for (const name of scenarios) {
    if (!(scenarioNames as readonly string[]).includes(name)) {
      throw new Error(`unknown scenario ${name}; choose from ${scenarioNames.join(', ')}`);
    }
  }
  return {
    durationS: positiveNumber('duration', values.duration, 10),
    warmupS: positiveNumber('warmup', values.warmup, 2),
    repeat: positiveInt('repeat', values.repeat, 1),
    concurrency: positiveInt('concurrency', values.concurrency, 512),
    writeConcurrency: positiveInt('write-concurrency', values['write-concurrency'], 2048),
    workers: positiveInt('workers', values.workers, 2),
    clientsPerNode: positiveInt('clients-per-node', values['clients-per-node'], 1),
    keys: positiveInt('keys', values.keys, 10_000),
    valueBytes: positiveInt('value-bytes', values['value-bytes'], 100, 0),
    readPolicy,
    requestIds: values['request-ids'] ?? false,
    scenarios: scenarios as ScenarioName[],
    memoryKeys: positiveInt('memory-keys', values['memory-keys'], 1_000_000),
    memoryConcurrency: positiveInt('memory-concurrency', values['memory-concurrency'], 512),
    settleS: positiveNumber('settle', values.settle, 10),
    quietWaitS: positiveNumber('quiet-wait', values['quiet-wait'], 0),
    quietCores: positiveNumber('quiet-cores', values['quiet-cores'], 0.15),
    cpuProfDir: values['cpu-prof'],
    resultsDir: values.results ?? defaultResultsDir,
  };
}
