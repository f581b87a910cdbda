import { parseArgs } from 'node:util';

export const gatewayScenarioNames = ['http-get', 'http-put', 'client-get', 'client-put'] as const;
export type GatewayScenarioName = (typeof gatewayScenarioNames)[number];

export interface GatewayBenchOptions {
  /** Measured seconds per run (after the warm-up). */
  durationS: number;
  warmupS: number;
  /** Runs per scenario; the summary shows medians. */
  repeat: number;
  /** HTTP connections autocannon keeps open to the gateway (one request in flight on each). */
  connections: number;
  /** Concurrent callers of the client library, each awaiting its call before the next. */
  callers: number;
  /** Linger of the client library's automatic batching, in ms (the gateway's own is 0). */
  lingerMs: number;
  shards: number;
  keys: number;
  valueBytes: number;
  scenarios: GatewayScenarioName[];
  /** Before each run, wait up to this long for other processes to use under `quietCores` cores. */
  quietWaitS: number;
  quietCores: number;
  resultsDir: string;
}

const usage = `Usage: pnpm bench:gateway [options]

  --duration <s>        measured seconds per run (default 10)
  --warmup <s>          unmeasured seconds before each run (default 2)
  --repeat <n>          runs per scenario; the summary shows medians (default 1)
  --connections <n>     HTTP connections for http-get / http-put (default 64)
  --callers <n>         concurrent StarClient callers for client-get / client-put (default 64)
  --linger <ms>         StarClient batching linger for the client scenarios (default 0)
  --shards <n>          shards of the benchmark namespace, replication factor 3 (default 3)
  --keys <n>            keys preloaded and read/written at random (default 10000)
  --value-bytes <n>     value size (default 100)
  --scenarios <list>    comma-separated of ${gatewayScenarioNames.join(',')} (default all)
  --quiet-wait <s>      before each run, wait up to <s> for other processes on the machine to
                        quiet down (default 0: do not wait; their CPU is reported either way)
  --quiet-cores <n>     what counts as quiet, in cores busy with other processes (default 0.15)
  --results <dir>       where the JSON goes (default packages/bench/results)
  -h, --help`;

function integer(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return value;
}

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0`);
  return value;
}

export function parseGatewayOptions(
  argv: string[],
  defaultResultsDir: string,
): GatewayBenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      connections: { type: 'string' },
      callers: { type: 'string' },
      linger: { type: 'string' },
      shards: { type: 'string' },
      keys: { type: 'string' },
      'value-bytes': { type: 'string' },
      scenarios: { type: 'string' },
      'quiet-wait': { type: 'string' },
      'quiet-cores': { type: 'string' },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const scenarios = (values.scenarios ?? gatewayScenarioNames.join(','))
    .split(',')
    .map((name) => name.trim());
  for (const name of scenarios) {
    if (!(gatewayScenarioNames as readonly string[]).includes(name))
      throw new Error(`unknown scenario ${name}; choose from ${gatewayScenarioNames.join(', ')}`);
  }
  return {
    durationS: seconds('duration', values.duration, 10),
    warmupS: seconds('warmup', values.warmup, 2),
    repeat: integer('repeat', values.repeat, 1),
    connections: integer('connections', values.connections, 64),
    callers: integer('callers', values.callers, 64),
    lingerMs: integer('linger', values.linger, 0, 0),
    shards: integer('shards', values.shards, 3),
    keys: integer('keys', values.keys, 10_000),
    valueBytes: integer('value-bytes', values['value-bytes'], 100, 0),
    scenarios: scenarios as GatewayScenarioName[],
    quietWaitS: seconds('quiet-wait', values['quiet-wait'], 0),
    quietCores: seconds('quiet-cores', values['quiet-cores'], 0.15),
    resultsDir: values.results ?? defaultResultsDir,
  };
}
