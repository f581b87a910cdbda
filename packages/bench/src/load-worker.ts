import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { type Link, LinkClient } from '@star/core';
import { ChainMethods, type GetResponse } from '@star/protocol';
import type { Histogram } from 'hdr-histogram-js';
import { encodeHistogram, latencyHistogram } from './latency.js';
import {
  keyOf,
  type LoadResult,
  type LoadTask,
  type OpTally,
  type RunResult,
  type RunTask,
  type WorkerMessage,
  type WorkerSetup,
  type WorkerTask,
} from './worker-protocol.js';

/**
 * A load-generator thread: its own connections to every node, and closed loops of requests over
 * them. It runs in a worker so its CPU shows apart from the orchestrating thread's timers and
 * sampling, and so several of them can use more than one core.
 */
const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

/** One connection: the LinkClient that redials, and its current Link (skipping an await per request). */
class Connection {
  readonly #client: LinkClient;
  #link: Link | undefined;

  constructor(address: string) {
    this.#client = new LinkClient({ url: `ws://${address}/v1/link`, reconnectMinDelayMs: 20 });
  }

  async open(): Promise<void> {
    this.#link = await this.#client.link(15_000);
  }

  request<T>(method: string, body: unknown): Promise<T> {
    const link = this.#link;
    if (link !== undefined && !link.closed)
      return link.request<T>(method, body, { timeoutMs: setup.timeoutMs });
    return this.#client.link(setup.timeoutMs).then((fresh) => {
      this.#link = fresh;
      return fresh.request<T>(method, body, { timeoutMs: setup.timeoutMs });
    });
  }

  close(): void {
    this.#client.close();
  }
}

const connections = setup.nodes.map(() => [] as Connection[]);
for (const [nodeIndex, node] of setup.nodes.entries()) {
  for (let i = 0; i < setup.clientsPerNode; i++) connections[nodeIndex]!.push(new Connection(node.address));
}
const values = Array.from({ length: 64 }, () => randomBytes(setup.valueBytes));
const clientId = `bench-${process.pid}-w${setup.index}`;
let nextRequestId = 1;
let nextValue = 0;

function put(connection: Connection, key: string): Promise<unknown> {
  const value = values[nextValue++ % values.length]!;
  const body = setup.requestIds
    ? { shard: setup.shard, key, value, clientId, requestId: nextRequestId++ }
    : { shard: setup.shard, key, value };
  return connection.request(ChainMethods.put, body);
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'Error';
}

class Tally {
  ok = 0;
  readonly errors: Record<string, number> = {};
  readonly histogram: Histogram = latencyHistogram();

  fail(error: unknown): void {
    const code = errorCode(error);
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  done(): OpTally {
    const result = { ok: this.ok, errors: this.errors, histogram: encodeHistogram(this.histogram) };
    this.histogram.destroy();
    return result;
  }
}

/** Posts how many operations completed so far, once a second, while `work` runs. */
async function withProgress<T>(count: () => number, work: Promise<T>): Promise<T> {
  const timer = setInterval(() => post({ type: 'progress', done: count() }), 1_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

async function run(task: RunTask): Promise<RunResult> {
  const reads = new Tally();
  const writes = new Tally();
  const readsByNode: Record<string, number> = Object.fromEntries(setup.nodes.map((node) => [node.id, 0]));
  let readsNotFound = 0;
  const nodeCount = setup.nodes.length;
  const { measureStartMs, measureEndMs, readRatio, keyPrefix, keyCount } = task;
  const origin = performance.timeOrigin;

  const slot = async (index: number) => {
    const connection = index % setup.clientsPerNode;
    const head = connections[0]![connection]!;
    let nextReplica = index % nodeCount;
    for (;;) {
      const started = performance.now();
      if (origin + started >= measureEndMs) return;
      const key = keyOf(keyPrefix, Math.floor(Math.random() * keyCount));
      const isRead = readRatio >= 1 || (readRatio > 0 && Math.random() < readRatio);
      const replica = task.readPolicy === 'pinned' ? index % nodeCount : nextReplica++ % nodeCount;
      let outcome: unknown;
      let failed = false;
      try {
        outcome = isRead
          ? await connections[replica]![connection]!.request<GetResponse>(ChainMethods.get, {
              shard: setup.shard,
              key,
            })
          : await put(head, key);
      } catch (error) {
        outcome = error;
        failed = true;
      }
      const finished = performance.now();
      const at = origin + finished;
      if (at < measureStartMs || at >= measureEndMs) continue;
      const tally = isRead ? reads : writes;
      if (failed) {
        tally.fail(outcome);
        continue;
      }
      tally.ok++;
      tally.histogram.recordValue(Math.max(1, Math.round((finished - started) * 1000)));
      if (isRead) {
        readsByNode[setup.nodes[replica]!.id]!++;
        if (!(outcome as GetResponse).found) readsNotFound++;
      }
    }
  };

  await withProgress(
    () => reads.ok + writes.ok,
    Promise.all(Array.from({ length: task.slots }, (_, i) => slot(i + setup.index))),
  );
  return { reads: reads.done(), writes: writes.done(), readsByNode, readsNotFound };
}

async function load(task: LoadTask): Promise<LoadResult> {
  const tally = new Tally();
  let next = task.from;
  const slot = async (index: number) => {
    const head = connections[0]![index % setup.clientsPerNode]!;
    while (next < task.to) {
      const key = keyOf(task.keyPrefix, next++);
      const started = performance.now();
      // A preload must be complete: retry a failed write (a put of the same value is idempotent here).
      for (let attempt = 1; ; attempt++) {
        try {
          await put(head, key);
          break;
        } catch (error) {
          tally.fail(error);
          if (attempt >= 5) throw error;
        }
      }
      tally.ok++;
      tally.histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
    }
  };
  await withProgress(() => tally.ok, Promise.all(Array.from({ length: task.slots }, (_, i) => slot(i))));
  const done = tally.done();
  return { written: done.ok, errors: done.errors, histogram: done.histogram };
}

port.on('message', (task: WorkerTask) => {
  const work =
    task.type === 'run'
      ? run(task).then((result) => post({ type: 'run-done', result }))
      : task.type === 'load'
        ? load(task).then((result) => post({ type: 'load-done', result }))
        : Promise.resolve().then(() => {
            for (const list of connections) for (const connection of list) connection.close();
            port.close();
          });
  work.catch((error: unknown) => post({ type: 'failed', message: String((error as Error)?.stack ?? error) }));
});

Promise.all(connections.flat().map((connection) => connection.open())).then(
  () => post({ type: 'ready' }),
  (error: unknown) => post({ type: 'failed', message: `connecting: ${String(error)}` }),
);
