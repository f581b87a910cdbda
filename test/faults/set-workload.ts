import { performance } from 'node:perf_hooks';
import { StarClient } from '@star/client';
import { StarError } from '@star/protocol';
import { sleep } from '@star/testkit';
import { checkSet, type SetCheckResult, type SetInsert, type SetListing } from './set-check.js';

export interface SetWorkloadOptions {
  namespace: string;
  /** Every key this workload writes starts with it; nothing else in the namespace does. */
  prefix: string;
  /** Inserting clients: the first half use the client library, the second half the gateway's REST API. */
  inserters: number;
  managers: string[];
  gatewayUrl: string;
  apiKey: string;
  clusterSecret: string;
  /** Pause of an inserter between inserts (keeps the set, and so each listing, small). */
  insertPauseMs?: number;
  /** Pause of a lister between listings. */
  listPauseMs?: number;
  /** Page size of listings (small enough that a listing spans several pages and shards). */
  pageSize?: number;
}

/**
 * The set workload of the fault suite (issue 14 item 6): clients insert unique keys under a prefix
 * (each key written once, never deleted) while two listers list the prefix page by page through the
 * gateway (REST) and the client library (`StarClient.list`), which scan every shard's tail; at the
 * end both list once more. `check()` applies the rules of `set-check.ts`. This reads what the
 * register workload never does: scans, cursors and the cross-shard merge, under the same faults.
 */
export class SetWorkload {
  readonly inserts: SetInsert[] = [];
  readonly listings: SetListing[] = [];
  readonly errorCounts = new Map<string, number>();
  readonly #options: SetWorkloadOptions;
  readonly #clients: StarClient[] = [];
  #running = false;
  #loops: Promise<void>[] = [];
  #listingId = 0;

  constructor(options: SetWorkloadOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const libraryInserters = Math.floor(this.#options.inserters / 2);
    for (let i = 0; i <= libraryInserters; i++) {
      this.#clients.push(
        await StarClient.connect({
          managers: this.#options.managers,
          apiKey: this.#options.apiKey,
          clusterSecret: this.#options.clusterSecret,
          clientName: `fault-set-${i}`,
        }),
      );
    }
    this.#running = true;
    const lister = this.#clients[0]!;
    this.#loops = [
      ...Array.from({ length: this.#options.inserters }, (_, i) =>
        this.#insertLoop(`set${i}`, i < libraryInserters ? this.#clients[i + 1]! : undefined),
      ),
      this.#listLoop('rest', undefined),
      this.#listLoop('client', lister),
    ];
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  close(): void {
    this.#running = false;
    for (const client of this.#clients) client.close();
  }

  /** The final listings, one through each path; run after `stop()` and once the cluster is whole. */
  async listFinal(): Promise<void> {
    await this.#list('rest', undefined, true);
    await this.#list('client', this.#clients[0], true);
  }

  check(): SetCheckResult {
    return checkSet(this.inserts, this.listings);
  }

  async #insertLoop(name: string, client: StarClient | undefined): Promise<void> {
    const pause = this.#options.insertPauseMs ?? 40;
    for (let seq = 0; this.#running; seq++) {
      const key = `${this.#options.prefix}${name}-${String(seq).padStart(6, '0')}`;
      const insert: SetInsert = { key, invokedAt: performance.now(), outcome: 'info' };
      this.inserts.push(insert);
      const error = client === undefined ? await this.#restPut(key) : await this.#libraryPut(client, key);
      insert.completedAt = performance.now();
      // A write that got no answer may still apply: `info`. Nothing here is a definite failure.
      if (error === undefined) insert.outcome = 'ok';
      else this.#count(`insert via ${client === undefined ? 'rest' : 'client'}: ${error}`);
      await sleep(pause);
    }
  }

  async #libraryPut(client: StarClient, key: string): Promise<string | undefined> {
    try {
      await client.put(this.#options.namespace, key, key);
      return undefined;
    } catch (error) {
      return StarError.from(error).code;
    }
  }

  async #restPut(key: string): Promise<string | undefined> {
    const url = `${this.#options.gatewayUrl}/v1/namespaces/${this.#options.namespace}/keys/${encodeURIComponent(key)}`;
    try {
      const response = await fetch(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.#options.apiKey}` },
        body: key,
        signal: AbortSignal.timeout(20_000),
      });
      await response.text();
      return response.status === 200 ? undefined : `http ${response.status}`;
    } catch (error) {
      return `network: ${(error as Error).name}`;
    }
  }

  async #listLoop(via: string, client: StarClient | undefined): Promise<void> {
    while (this.#running) {
      await this.#list(via, client, false);
      await sleep(this.#options.listPauseMs ?? 500);
    }
  }

  /** One listing of the prefix, every page; a page that fails abandons the listing (it owes nothing). */
  async #list(via: string, client: StarClient | undefined, final: boolean): Promise<void> {
    const listing: SetListing = { id: ++this.#listingId, via, startedAt: performance.now(), endedAt: 0 };
    if (final) listing.final = true;
    const keys: string[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page =
          client === undefined ? await this.#restPage(cursor) : await this.#libraryPage(client, cursor);
        keys.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== undefined);
      listing.keys = keys;
    } catch (error) {
      this.#count(`${final ? 'final ' : ''}list via ${via}: ${(error as Error).message.slice(0, 80)}`);
    }
    listing.endedAt = performance.now();
    this.listings.push(listing);
  }

  async #libraryPage(
    client: StarClient,
    cursor: string | undefined,
  ): Promise<{ keys: string[]; cursor?: string }> {
    try {
      const page = await client.list(this.#options.namespace, {
        prefix: this.#options.prefix,
        limit: this.#options.pageSize ?? 500,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return {
        keys: page.records.map((r) => r.key),
        ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      };
    } catch (error) {
      throw new Error(StarError.from(error).code);
    }
  }

  async #restPage(cursor: string | undefined): Promise<{ keys: string[]; cursor?: string }> {
    const query = new URLSearchParams({
      prefix: this.#options.prefix,
      limit: String(this.#options.pageSize ?? 500),
    });
    if (cursor !== undefined) query.set('cursor', cursor);
    let response: Response;
    try {
      response = await fetch(
        `${this.#options.gatewayUrl}/v1/namespaces/${this.#options.namespace}/keys?${query}`,
        {
          headers: { authorization: `Bearer ${this.#options.apiKey}` },
          signal: AbortSignal.timeout(20_000),
        },
      );
    } catch (error) {
      throw new Error(`network: ${(error as Error).name}`);
    }
    const text = await response.text();
    if (response.status !== 200) throw new Error(`http ${response.status}`);
    const body = JSON.parse(text) as { keys: { key: string }[]; cursor?: string };
    return {
      keys: body.keys.map((k) => k.key),
      ...(body.cursor === undefined ? {} : { cursor: body.cursor }),
    };
  }

  #count(label: string): void {
    this.errorCounts.set(label, (this.errorCounts.get(label) ?? 0) + 1);
  }
}
