import type { ApiKeyInfo, CreateApiKeyRequest, CreatedApiKey } from '@star/protocol';
import { type GatewayTarget, gatewayEndpoint } from './gateway-target.js';
import { callJson, type ServiceEndpoint } from './service-call.js';

/** The gateway's admin API for API keys, as the CLI calls it. */
export class GatewayAdminClient {
  readonly #endpoint: ServiceEndpoint;

  constructor(target: GatewayTarget, env: NodeJS.ProcessEnv = process.env) {
    this.#endpoint = gatewayEndpoint(target, env);
  }

  createKey(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
    return callJson(this.#endpoint, 'POST', '/v1/admin/keys', request);
  }

  async listKeys(): Promise<ApiKeyInfo[]> {
    return (await callJson<{ keys: ApiKeyInfo[] }>(this.#endpoint, 'GET', '/v1/admin/keys')).keys;
  }

  async revokeKey(id: string): Promise<void> {
    await callJson(this.#endpoint, 'DELETE', `/v1/admin/keys/${encodeURIComponent(id)}`);
  }
}
