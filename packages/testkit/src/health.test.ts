import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForHealth } from './health.js';

describe('waitForHealth', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('polls until /health answers 200 and returns the JSON body', async () => {
    let requests = 0;
    const url = await serve((request, response) => {
      requests++;
      if (request.url !== '/health') return response.writeHead(404).end();
      if (requests < 3) return response.writeHead(503).end('starting');
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
    });
    await expect(waitForHealth(`${url}/`, 5_000)).resolves.toEqual({ status: 'ok' });
    expect(requests).toBe(3);
  });

  it('times out naming the URL and the last status', async () => {
    const url = await serve((_request, response) => response.writeHead(503).end('still starting'));
    await expect(waitForHealth(url, 300)).rejects.toThrow(/health to answer 200.*HTTP 503: still starting/);
  });
});
