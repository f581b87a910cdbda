import type { ApiKeyInfo, CreateApiKeyRequest, CreatedApiKey } from '@star/protocol';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** Where the gateway is and the key to present: flags first, then STAR_GATEWAY_URL / STAR_API_KEY. */
export interface GatewayTarget {
  gateway?: string;
  key?: string;
}

/** A refusal or failure the CLI prints and turns into its exit code. */
export class GatewayCallError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the gateway could not be reached. */
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

/** The gateway's admin API for API keys, as the CLI calls it. */
export class GatewayAdminClient {
  readonly #url: string;
  readonly #key: string | undefined;

  constructor(target: GatewayTarget, env: NodeJS.ProcessEnv = process.env) {
    this.#url = (target.gateway ?? env.STAR_GATEWAY_URL ?? DEFAULT_GATEWAY_URL).replace(/\/+$/, '');
    const key = target.key ?? env.STAR_API_KEY;
    this.#key = key === '' ? undefined : key;
  }

  createKey(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
    return this.#call('POST', '/v1/admin/keys', request);
  }

  async listKeys(): Promise<ApiKeyInfo[]> {
    return (await this.#call<{ keys: ApiKeyInfo[] }>('GET', '/v1/admin/keys')).keys;
  }

  async revokeKey(id: string): Promise<void> {
    await this.#call('DELETE', `/v1/admin/keys/${encodeURIComponent(id)}`);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#key !== undefined) headers.authorization = `Bearer ${this.#key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.#url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new GatewayCallError(`cannot reach the gateway at ${this.#url} (${cause})`, undefined);
    }
    const text = await response.text();
    if (!response.ok) {
      let reason = text;
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        reason = `${parsed.code ?? response.status}: ${parsed.message ?? text}`;
      } catch {
        // Not JSON (a proxy's page, say): show it as it came.
      }
      throw new GatewayCallError(
        `${method} ${path} failed with ${response.status} ${reason}`,
        response.status,
      );
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}
