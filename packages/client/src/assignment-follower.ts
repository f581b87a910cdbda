import { EventEmitter } from 'node:events';
import { StarError } from '@star/protocol';
import { WebSocket } from 'ws';
import { type AssignmentMessage, ShardMap } from './shard-map.js';

export interface AssignmentFollowerOptions {
  /** Manager HTTP URLs (`http://host:port`); any of them serves the stream, leader or follower. */
  managers: string[];
  /** Sent as `Authorization: Bearer` when the managers enforce API keys. */
  apiKey?: string | undefined;
  reconnectDelayMs?: number;
}

/**
 * Follows the manager's shard-assignment stream into a ShardMap: a snapshot on every (re)connect,
 * then changes. A dropped stream is redialed on the next manager in the list, so a manager failover
 * only delays updates. `changed` fires after each applied message.
 */
export class AssignmentFollower extends EventEmitter<{ changed: []; error: [Error] }> {
  readonly map = new ShardMap();
  readonly #options: AssignmentFollowerOptions;
  #socket: WebSocket | undefined;
  #managerIndex = 0;
  #closed = false;
  #ready: Promise<void>;
  #markReady!: () => void;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: AssignmentFollowerOptions) {
    super();
    if (options.managers.length === 0) throw new StarError('BadRequest', 'no manager addresses given');
    this.#options = options;
    this.#ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    this.#connect();
  }

  /** Resolves once the first snapshot arrived (rejects after `timeoutMs`). */
  async ready(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StarError('Unavailable', `no shard map from ${this.#options.managers.join(', ')}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves at the next applied change, or after `timeoutMs` (whichever comes first). */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('changed', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('changed', done);
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.terminate();
  }

  #connect(): void {
    if (this.#closed) return;
    const base = this.#options.managers[this.#managerIndex % this.#options.managers.length]!;
    const url = `${base.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/assignments`;
    const headers: Record<string, string> = {};
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    const socket = new WebSocket(url, { headers });
    this.#socket = socket;
    socket.on('message', (data) => {
      try {
        this.map.apply(JSON.parse(String(data)) as AssignmentMessage);
      } catch (error) {
        this.emit('error', error as Error);
        return;
      }
      this.#markReady();
      this.emit('changed');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#closed || this.#socket !== socket) return;
      this.#managerIndex += 1;
      this.#retryTimer = setTimeout(() => this.#connect(), this.#options.reconnectDelayMs ?? 200);
    });
  }
}
