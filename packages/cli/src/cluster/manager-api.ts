import type { Namespace, NodeInfo, Shard } from '@star/protocol';

/** A refusal or failure of a manager call, with the HTTP status when there was an answer. */
export class ManagerCallError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/**
 * The few manager REST calls the cluster commands need (leader, namespaces, nodes, drain and
 * removal), each sent with the admin key. Changes go to the current leader.
 */
export class ManagerApi {
  constructor(
    readonly managerUrls: string[],
    readonly adminKey: string,
  ) {}

  /** The URL of the manager that leads right now, or undefined when none answers as leader. */
  async leaderUrl(): Promise<string | undefined> {
    for (const url of this.managerUrls) {
      const answer = await this.#call<{ isLeader: boolean }>(url, 'GET', '/v1/leader').catch(() => undefined);
      if (answer?.isLeader) return url;
    }
    return undefined;
  }

  /** Whether manager `url` leads (undefined when it does not answer). */
  async isLeader(url: string): Promise<boolean | undefined> {
    const answer = await this.#call<{ isLeader: boolean }>(url, 'GET', '/v1/leader').catch(() => undefined);
    return answer?.isLeader;
  }

  async namespaces(): Promise<Namespace[]> {
    return (await this.#onLeader<{ namespaces: Namespace[] }>('GET', '/v1/namespaces')).namespaces;
  }

  /** Creates a namespace unless one of that name exists; true when it was created now. */
  async ensureNamespace(namespace: Namespace): Promise<boolean> {
    if ((await this.namespaces()).some((existing) => existing.name === namespace.name)) return false;
    await this.#onLeader('POST', '/v1/namespaces', namespace);
    return true;
  }

  async shards(namespace: string): Promise<Shard[]> {
    const path = `/v1/shards?namespace=${encodeURIComponent(namespace)}`;
    return (await this.#onLeader<{ shards: Shard[] }>('GET', path)).shards;
  }

  async nodes(): Promise<NodeInfo[]> {
    return (await this.#onLeader<{ nodes: NodeInfo[] }>('GET', '/v1/nodes')).nodes;
  }

  /** The shards node `id` still holds a replica of. */
  async shardsOf(id: string): Promise<number[]> {
    return (await this.#onLeader<{ shards: number[] }>('GET', `/v1/nodes/${encodeURIComponent(id)}`)).shards;
  }

  async drain(id: string): Promise<void> {
    await this.#onLeader('POST', `/v1/nodes/${encodeURIComponent(id)}/drain`);
  }

  async remove(id: string): Promise<void> {
    await this.#onLeader('DELETE', `/v1/nodes/${encodeURIComponent(id)}`);
  }

  async #onLeader<T>(method: string, path: string, body?: unknown): Promise<T> {
    const leader = await this.leaderUrl();
    if (leader === undefined) throw new ManagerCallError('no manager leads right now', undefined);
    return this.#call<T>(leader, method, path, body);
  }

  async #call<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.adminKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (error) {
      throw new ManagerCallError(
        `cannot reach the manager at ${url} (${(error as Error).message})`,
        undefined,
      );
    }
    const text = await response.text();
    if (!response.ok)
      throw new ManagerCallError(`${method} ${url}${path}: ${response.status} ${text}`, response.status);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}
