import websocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import type { KeyWatch, StarClient } from '@star/client';
import { StarError } from '@star/protocol';
import type { FastifyInstance } from 'fastify';
import { requireNamespaceScope } from '../auth/index.js';
import { NamespaceParams } from '../kv/kv-schemas.js';

const WatchQuery = Type.Object({
  prefix: Type.Optional(Type.String()),
  cursor: Type.Optional(Type.String({ description: 'resume after the event that carried it' })),
});

type WatchRequest = { Params: { ns: string }; Querystring: { prefix?: string; cursor?: string } };

/**
 * WebSocket `/v1/namespaces/{ns}/watch?prefix=&cursor=`: JSON messages — first
 * `{ type: 'ready', cursor }`, then `{ type: 'created'|'modified'|'deleted', key, version,
 * modifiedAt, value (base64), contentType, cursor }` in commit order per key. Reconnecting with
 * the last cursor resumes exactly after that event. A watcher that stops reading is dropped (close
 * 1013) rather than buffered without bound; it resumes by cursor.
 */
export async function watchRoute(
  app: FastifyInstance,
  options: { client: StarClient; bufferBytes: number },
): Promise<void> {
  if (!app.hasDecorator('websocketServer')) await app.register(websocket);
  app.get<WatchRequest>(
    '/v1/namespaces/:ns/watch',
    {
      websocket: true,
      onRequest: requireNamespaceScope('read'),
      schema: { summary: 'Watch changes (WebSocket)', params: NamespaceParams, querystring: WatchQuery },
    },
    (socket, request) => {
      let watch: KeyWatch | undefined;
      let closed = false;
      const finish = (code: number, reason: string) => {
        if (closed) return;
        closed = true;
        watch?.close();
        if (socket.readyState === socket.OPEN) socket.close(code, reason.slice(0, 120));
      };
      socket.on('close', () => finish(1000, ''));
      socket.on('error', () => finish(1011, 'socket error'));
      const send = (message: unknown) => socket.send(JSON.stringify(message));
      options.client
        .watch(request.params.ns, {
          ...(request.query.prefix === undefined ? {} : { prefix: request.query.prefix }),
          ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
        })
        .then(async (started) => {
          watch = started;
          if (closed) return started.close();
          send({ type: 'ready', cursor: started.cursor });
          for await (const event of started) {
            if (closed) break;
            const { value, ...rest } = event;
            send({
              ...rest,
              ...(value === undefined ? {} : { value: Buffer.from(value).toString('base64') }),
            });
            if (socket.bufferedAmount > options.bufferBytes) {
              finish(1013, 'watcher too slow; reconnect with the last cursor');
              break;
            }
          }
          finish(1000, 'watch ended');
        })
        .catch((error: unknown) => {
          const star = StarError.from(error);
          if (socket.readyState === socket.OPEN)
            send({ type: 'error', code: star.code, message: star.message });
          finish(star.status < 500 ? 1008 : 1011, star.message);
        });
    },
  );
}
