import { LinkDefaults } from '@star/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Link } from './link.js';
import { LinkClient, type LinkClientOptions } from './link-client.js';
import type { LinkOptions } from './link-options.js';
import type { LinkRouter } from './link-router.js';
import { linkServer } from './link-server.js';

/** A real fastify server mounting the link endpoint, for transport tests. */
export interface TestLinkServer {
  app: FastifyInstance;
  port: number;
  url: string;
  links: Link[];
  close(): Promise<void>;
}

export async function startTestLinkServer(
  router: LinkRouter,
  options: { port?: number; secret?: string; link?: Partial<LinkOptions> } = {},
): Promise<TestLinkServer> {
  const app = Fastify();
  const links: Link[] = [];
  await app.register(linkServer, {
    router,
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    ...(options.link === undefined ? {} : { link: options.link }),
    onLink: (link) => links.push(link),
  });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return {
    app,
    port: address.port,
    url: `ws://127.0.0.1:${address.port}${LinkDefaults.path}`,
    links,
    close: () => app.close(),
  };
}

export function connectTestClient(url: string, options: Partial<LinkClientOptions> = {}): LinkClient {
  return new LinkClient({ url, reconnectMinDelayMs: 20, reconnectMaxDelayMs: 200, ...options });
}
