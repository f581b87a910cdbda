import { ConditionFailed, NotFound, StarClient } from '@star/client';
import { StarError } from '@star/protocol';
import { HistoryRecorder } from '@star/testkit';

/** How a client reaches the store. */
export type Via = 'client' | 'rest';

export interface RegisterWorkloadOptions {
  namespace: string;
  keys: string[];
  /** Clients in all; the first half use the client library, the second half the gateway's REST API. */
  clients: number;
  managers: string[];
  gatewayUrl: string;
  /** The admin key: REST calls send it, library clients follow the shard map with it. */
  apiKey: string;
  /** The cluster secret library clients present on node links. */
  clusterSecret: string;
  /** Share of reads, blind writes and compare-and-sets. */
  mix?: { read: number; write: number; cas: number };
}

/** Why an operation did not end `ok`, kept beside the history for the outage checks and the summary. */
export interface OperationNote {
  via: Via;
  /** Error code (library) or `http <status>` / network error (REST). */
  error: string;
}

/** The highest acknowledged write of a key: it must still be there at the end. */
export interface Acknowledged {
  version: number;
  value: string;
}

const defaultMix = { read: 0.5, write: 0.25, cas: 0.25 };

/**
 * The register workload of the fault suite: clients each run one operation at a time on a random
 * key — read, blind write, or compare-and-set on the version it last saw (create-only when it saw
 * none) — and record it in the history as `ok`, `fail` (definitely no effect) or `info` (unknown:
 * it may have been applied, now or later). Half the clients embed StarClient, half call the REST
 * API of the gateway, so both retry paths are under test.
 */
export class RegisterWorkload {
  readonly history = new HistoryRecorder();
  readonly notes = new Map<number, OperationNote>();
  readonly acknowledged = new Map<string, Acknowledged>();
  readonly errorCounts = new Map<string, number>();
  readonly #options: RegisterWorkloadOptions;
  readonly #libraryClients: StarClient[] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(options: RegisterWorkloadOptions) {
    this.#options = options;
  }

  get via(): (client: string) => Via {
    return (client) => (client.startsWith('lib') ? 'client' : 'rest');
  }

  async start(): Promise<void> {
    const half = Math.floor(this.#options.clients / 2);
    for (let i = 0; i < half; i++) {
      this.#libraryClients.push(
        await StarClient.connect({
          managers: this.#options.managers,
          apiKey: this.#options.apiKey,
          clusterSecret: this.#options.clusterSecret,
          clientName: `fault-lib-${i}`,
        }),
      );
    }
    this.#running = true;
    this.#loops = [
      ...this.#libraryClients.map((client, i) =>
        this.#loop(`lib${i}`, new LibraryPort(client, this.#options)),
      ),
      ...Array.from({ length: this.#options.clients - half }, (_, i) =>
        this.#loop(`rest${i}`, new RestPort(this.#options)),
      ),
    ];
  }

  /** Stops issuing operations and waits for those in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  close(): void {
    this.#running = false;
    for (const client of this.#libraryClients) client.close();
  }

  /** A library client for the final reads and the per-replica check. */
  get reader(): StarClient {
    const client = this.#libraryClients[0];
    if (client === undefined) throw new Error('the workload has not started');
    return client;
  }

  async #loop(client: string, port: Port): Promise<void> {
    const mix = this.#options.mix ?? defaultMix;
    const seen = new Map<string, number>();
    let sequence = 0;
    while (this.#running) {
      const key = this.#options.keys[Math.floor(Math.random() * this.#options.keys.length)]!;
      const roll = Math.random();
      if (roll < mix.read) {
        const op = this.history.invoke(client, key, 'read', {});
        const result = await port.read(key);
        if (result.ok) {
          op.ok(result.value === null ? { value: null } : { value: result.value, version: result.version });
          if (result.version !== undefined) seen.set(key, result.version);
        } else {
          this.#note(op.id, port.via, result.error);
          op.fail({ error: result.error, preconditionFailed: false });
        }
        continue;
      }
      const value = `${client}-${++sequence}`;
      const isCas = roll >= mix.read + mix.write;
      const expected = seen.get(key) ?? 0;
      const input = !isCas
        ? { value }
        : expected === 0
          ? { value, mustNotExist: true }
          : { value, expectedVersion: expected };
      const op = this.history.invoke(client, key, isCas ? 'cas' : 'write', input);
      const result = await port.write(key, value, isCas ? expected : undefined);
      if (result.outcome === 'ok') {
        op.ok({ version: result.version });
        seen.set(key, result.version);
        const known = this.acknowledged.get(key);
        if (known === undefined || known.version < result.version)
          this.acknowledged.set(key, { version: result.version, value });
      } else if (result.outcome === 'refused') {
        op.fail({ preconditionFailed: true });
        seen.set(key, result.currentVersion);
      } else {
        this.#note(op.id, port.via, result.error);
        op.info();
      }
    }
  }

  #note(id: number, via: Via, error: string): void {
    this.notes.set(id, { via, error });
    const label = `${via}: ${error}`;
    this.errorCounts.set(label, (this.errorCounts.get(label) ?? 0) + 1);
  }
}

type ReadResult = { ok: true; value: string | null; version?: number } | { ok: false; error: string };
type WriteOutcome =
  | { outcome: 'ok'; version: number }
  | { outcome: 'refused'; currentVersion: number }
  | { outcome: 'unknown'; error: string };

/** One way of reaching the store. */
interface Port {
  readonly via: Via;
  read(key: string): Promise<ReadResult>;
  /** `expected`: 0 = create-only, n = at version n, undefined = unconditional. */
  write(key: string, value: string, expected: number | undefined): Promise<WriteOutcome>;
}

class LibraryPort implements Port {
  readonly via = 'client' as const;
  constructor(
    private readonly client: StarClient,
    private readonly options: RegisterWorkloadOptions,
  ) {}

  async read(key: string): Promise<ReadResult> {
    try {
      const record = await this.client.get(this.options.namespace, key);
      return { ok: true, value: Buffer.from(record.value).toString(), version: record.version };
    } catch (error) {
      if (error instanceof NotFound) return { ok: true, value: null };
      return { ok: false, error: StarError.from(error).code };
    }
  }

  async write(key: string, value: string, expected: number | undefined): Promise<WriteOutcome> {
    try {
      const result = await this.client.put(this.options.namespace, key, value, {
        ...(expected === 0 ? { createOnly: true } : {}),
        ...(expected !== undefined && expected > 0 ? { expectedVersion: expected } : {}),
      });
      return { outcome: 'ok', version: result.version };
    } catch (error) {
      // A refusal is definite: the client retries with the same request id, so an earlier attempt
      // that did apply would have been answered with its own result instead.
      if (error instanceof ConditionFailed)
        return { outcome: 'refused', currentVersion: error.currentVersion };
      return { outcome: 'unknown', error: StarError.from(error).code };
    }
  }
}

class RestPort implements Port {
  readonly via = 'rest' as const;
  constructor(private readonly options: RegisterWorkloadOptions) {}

  #url(key: string): string {
    return `${this.options.gatewayUrl}/v1/namespaces/${this.options.namespace}/keys/${encodeURIComponent(key)}`;
  }

  async read(key: string): Promise<ReadResult> {
    try {
      const response = await fetch(this.#url(key), {
        headers: { authorization: `Bearer ${this.options.apiKey}` },
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      if (response.status === 200) {
        return { ok: true, value: text, version: Number(response.headers.get('x-star-version')) };
      }
      if (response.status === 404) return { ok: true, value: null };
      return { ok: false, error: `http ${response.status}` };
    } catch (error) {
      return { ok: false, error: `network: ${(error as Error).name}` };
    }
  }

  async write(key: string, value: string, expected: number | undefined): Promise<WriteOutcome> {
    const conditions: Record<string, string> =
      expected === undefined
        ? {}
        : expected === 0
          ? { 'if-none-match': '*' }
          : { 'if-match': `"${expected}"` };
    try {
      const response = await fetch(this.#url(key), {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.options.apiKey}`, ...conditions },
        body: value,
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      if (response.status === 200)
        return { outcome: 'ok', version: (JSON.parse(text) as { version: number }).version };
      if (response.status === 412) {
        const current = (JSON.parse(text) as { details?: { version?: number } }).details?.version;
        return { outcome: 'refused', currentVersion: typeof current === 'number' ? current : 0 };
      }
      return { outcome: 'unknown', error: `http ${response.status}` };
    } catch (error) {
      return { outcome: 'unknown', error: `network: ${(error as Error).name}` };
    }
  }
}
