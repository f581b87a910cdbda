import type { Command } from 'commander';
import {
  apiKeyFrom,
  callService,
  refusal,
  ServiceCallError,
  type ServiceEndpoint,
  trimUrl,
} from './service-call.js';

export const DEFAULT_MANAGER_URL = 'http://127.0.0.1:7400';

/** Where a manager is and the key to present: flags first, then STAR_MANAGER_URL / STAR_API_KEY. */
export interface ManagerTarget {
  manager?: string;
  key?: string;
}

export function withManagerTarget(command: Command): Command {
  return command
    .option('--manager <url>', `any manager's URL (default $STAR_MANAGER_URL or ${DEFAULT_MANAGER_URL})`)
    .option('--key <key>', 'API key; changes need the admin scope (default $STAR_API_KEY)');
}

/** Hops a call may take from follower to leader before giving up (a leader change mid-call). */
const MAX_REDIRECTS = 3;

/**
 * The manager's REST API as the CLI calls it. Reads are served by any manager; a change sent to a
 * follower is answered 421 with the leader's URL in `x-star-leader`, where the call is repeated.
 */
export class ManagerClient {
  readonly #endpoint: ServiceEndpoint;

  constructor(target: ManagerTarget, env: NodeJS.ProcessEnv = process.env) {
    this.#endpoint = {
      name: 'manager',
      url: trimUrl(target.manager ?? env.STAR_MANAGER_URL ?? DEFAULT_MANAGER_URL),
      key: apiKeyFrom(target.key, env),
    };
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let endpoint = this.#endpoint;
    for (let hop = 0; ; hop++) {
      const response = await callService(endpoint, method, path, {
        accept: [421],
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      if (response.status !== 421) {
        const text = await response.text();
        return (text === '' ? undefined : JSON.parse(text)) as T;
      }
      const leader = response.headers.get('x-star-leader');
      if (leader === null || hop >= MAX_REDIRECTS) {
        const error = await refusal(method, path, response);
        throw new ServiceCallError(`${error.message} (no leader to send it to; try again)`, 421, error.code);
      }
      await response.body?.cancel();
      endpoint = { ...endpoint, url: trimUrl(leader) };
    }
  }
}
