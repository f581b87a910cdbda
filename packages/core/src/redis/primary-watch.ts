import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface PrimaryChange {
  /** The Redis run id seen before (a new process or a promoted replica has another one). */
  previousRunId: string;
  runId: string;
  /** Where the connection now points, `host:port`. */
  address: string;
}

/**
 * Notices when the control plane's primary is another Redis process than before: a Sentinel
 * failover, or a restart. Either may have lost the last writes that were not replicated (or not
 * persisted), so lease state read before it cannot be vouched for: listeners (the manager's failure
 * detector, the node's read lease) start over as after a lapse (DESIGN §3.8). Checked on every
 * (re)connect with `INFO server`'s run_id, which is what ioredis's sentinel reconnect lands on.
 */
export class PrimaryWatch extends EventEmitter<{ changed: [PrimaryChange] }> {
  #runId: string | undefined;
  #changes = 0;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    super();
    redis.on('ready', () => void this.check());
    if (redis.status === 'ready') void this.check();
  }

  /** The run id of the Redis last connected to (undefined before the first connect). */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** How many primary changes this process has seen. */
  get changes(): number {
    return this.#changes;
  }

  async check(): Promise<void> {
    let info: string;
    try {
      info = String(await this.redis.info('server'));
    } catch {
      return; // the next ready checks again
    }
    const runId = /run_id:(\w+)/.exec(info)?.[1];
    if (runId === undefined || runId === this.#runId) return;
    const previousRunId = this.#runId;
    this.#runId = runId;
    if (previousRunId === undefined) return;
    this.#changes++;
    const stream = (this.redis as unknown as { stream?: { remoteAddress?: string; remotePort?: number } })
      .stream;
    const address = `${stream?.remoteAddress ?? '?'}:${stream?.remotePort ?? '?'}`;
    this.logger.warn({ previousRunId, runId, address }, 'redis primary changed: lease state is unknown');
    this.emit('changed', { previousRunId, runId, address });
  }
}
