import { timingSafeEqual } from 'node:crypto';
import websocket from '@fastify/websocket';
import { LinkCloseCode, LinkDefaults, StarError } from '@star/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Link } from './link.js';
import { type LinkOptions, resolveLinkOptions } from './link-options.js';
import type { LinkRouter } from './link-router.js';

export interface LinkServerOptions {
  router: LinkRouter;
  /** Cluster secret the dialer must present as `Authorization: Bearer <secret>`; empty accepts anyone. */
  secret?: string;
  path?: string;
  link?: Partial<LinkOptions>;
  /** Called for every accepted link, e.g. to track it or to start a handshake from this side. */
  onLink?: (link: Link, request: FastifyRequest) => void;
}

function secretMatches(header: string | undefined, secret: string): boolean {
  const expected = Buffer.from(`Bearer ${secret}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Fastify plugin mounting the accepting side of links at `path`. Frames above the link's size limit
 * are refused by ws itself (close 1009) before they are buffered whole.
 */
export async function linkServer(app: FastifyInstance, options: LinkServerOptions): Promise<void> {
  const linkOptions = resolveLinkOptions(options.link);
  if (!app.hasDecorator('websocketServer')) {
    await app.register(websocket, {
      options: { maxPayload: linkOptions.maxFrameBytes, perMessageDeflate: false },
    });
  }
  const links = new Set<Link>();
  const secret = options.secret ?? '';

  app.addHook('preClose', async () => {
    for (const link of links) link.close(LinkCloseCode.GoingAway, 'server shutting down');
  });

  app.get(
    options.path ?? LinkDefaults.path,
    {
      websocket: true,
      preValidation: async (request, reply) => {
        if (secret !== '' && !secretMatches(request.headers.authorization, secret)) {
          const error = new StarError('Unauthorized', 'link refused: missing or wrong cluster secret');
          await reply.code(error.status).send(error.toBody());
        }
      },
    },
    (socket, request) => {
      const link = new Link(socket, {
        router: options.router,
        logger: request.log,
        options: linkOptions,
        label: `link from ${request.socket.remoteAddress}:${request.socket.remotePort}`,
      });
      links.add(link);
      link.once('close', () => links.delete(link));
      options.onLink?.(link, request);
    },
  );
}
