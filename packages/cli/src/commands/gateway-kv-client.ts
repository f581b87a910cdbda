import { callJson, callService, type ServiceEndpoint } from './service-call.js';

/** What a write answers (the body of PUT, as the gateway documents it). */
export interface WriteResult {
  version: number;
  createdAt: number;
  modifiedAt: number;
  modifications: number;
}

export interface StoredValue extends WriteResult {
  key: string;
  value: Uint8Array;
  contentType: string | undefined;
}

/** One entry of a listing; `value` is base64, as the gateway sends it. */
export interface ListedKey extends WriteResult {
  key: string;
  value?: string;
  contentType?: string;
}

export interface ListRequest {
  prefix?: string;
  start?: string;
  end?: string;
  limit?: number;
  cursor?: string;
  values?: boolean;
}

export interface PutRequest {
  contentType?: string;
  ifMatch?: number;
  createOnly?: boolean;
  partitionKey?: string;
}

/** The gateway's KV REST API (docs/api.md), as the CLI calls it: one request per call. */
export class GatewayKvClient {
  constructor(readonly endpoint: ServiceEndpoint) {}

  put(namespace: string, key: string, value: Uint8Array, request: PutRequest = {}): Promise<WriteResult> {
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    if (request.ifMatch !== undefined) headers['if-match'] = `"${request.ifMatch}"`;
    if (request.createOnly) headers['if-none-match'] = '*';
    return callService(this.endpoint, 'PUT', keyPath(namespace, key, request.partitionKey), {
      body: value,
      headers,
    }).then((response) => response.json() as Promise<WriteResult>);
  }

  async get(namespace: string, key: string, partitionKey?: string): Promise<StoredValue> {
    const response = await callService(this.endpoint, 'GET', keyPath(namespace, key, partitionKey));
    const header = (name: string) => Number(response.headers.get(name));
    return {
      key,
      value: new Uint8Array(await response.arrayBuffer()),
      contentType: response.headers.get('content-type') ?? undefined,
      version: header('x-star-version'),
      createdAt: header('x-star-created-at'),
      modifiedAt: header('x-star-modified-at'),
      modifications: header('x-star-modifications'),
    };
  }

  async delete(namespace: string, key: string, request: { ifMatch?: number; partitionKey?: string } = {}) {
    await callService(this.endpoint, 'DELETE', keyPath(namespace, key, request.partitionKey), {
      headers: request.ifMatch === undefined ? {} : { 'if-match': `"${request.ifMatch}"` },
    });
  }

  list(namespace: string, request: ListRequest): Promise<{ keys: ListedKey[]; cursor?: string }> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request))
      if (value !== undefined) query.set(name, String(value));
    const suffix = query.size === 0 ? '' : `?${query}`;
    return callJson(this.endpoint, 'GET', `/v1/namespaces/${encodeURIComponent(namespace)}/keys${suffix}`);
  }
}

/** `/v1/namespaces/{ns}/keys/{key}`: the key is one percent-encoded path segment, slashes included. */
export function keyPath(namespace: string, key: string, partitionKey?: string): string {
  const path = `/v1/namespaces/${encodeURIComponent(namespace)}/keys/${encodeURIComponent(key)}`;
  return partitionKey === undefined ? path : `${path}?partitionKey=${encodeURIComponent(partitionKey)}`;
}
