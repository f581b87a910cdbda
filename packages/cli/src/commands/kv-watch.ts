import { ErrorCodes } from '@star/protocol';
import WebSocket from 'ws';
import { ExitCode, ServiceCallError, type ServiceEndpoint } from './service-call.js';

export interface WatchRequest {
  prefix?: string;
  cursor?: string;
}

/** What the gateway sends on a watch socket (docs/api.md): `ready` once, then events, or an error. */
type WatchMessage =
  | { type: 'ready'; cursor: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'created' | 'modified' | 'deleted'; key: string; cursor: string };

/**
 * `star kv watch`: opens the gateway's watch WebSocket and writes every event to `out` as one JSON
 * line, exactly as the gateway sent it. Resolves with the exit code: 0 when `stop` fires (Ctrl-C)
 * and the socket closed; 1 when the gateway refused (401, 403, 404 namespace, bad cursor); 2 when it
 * could not be reached or dropped the socket — then stderr names the last cursor to resume from.
 */
export function watchKeys(
  endpoint: ServiceEndpoint,
  namespace: string,
  request: WatchRequest,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; stop: AbortSignal },
): Promise<number> {
  const query = new URLSearchParams();
  if (request.prefix !== undefined) query.set('prefix', request.prefix);
  if (request.cursor !== undefined) query.set('cursor', request.cursor);
  const path = `/v1/namespaces/${encodeURIComponent(namespace)}/watch${query.size === 0 ? '' : `?${query}`}`;
  const url = `${endpoint.url.replace(/^http/, 'ws')}${path}`;
  const fail = (error: ServiceCallError) => {
    io.err.write(`star kv: ${error.message}\n`);
    return error.exitCode;
  };

  return new Promise<number>((resolve) => {
    let lastCursor = request.cursor;
    let outcome: number | undefined;
    const finish = (code: number) => {
      outcome ??= code;
    };
    const socket = new WebSocket(url, {
      headers: endpoint.key === undefined ? {} : { authorization: `Bearer ${endpoint.key}` },
      handshakeTimeout: 30_000,
    });
    const stop = () => {
      finish(ExitCode.ok);
      socket.close(1000, 'watcher stopped');
    };
    if (io.stop.aborted) stop();
    io.stop.addEventListener('abort', stop, { once: true });

    // The upgrade was answered with plain HTTP: a 401/403/404/400 with the gateway's error body.
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let reason = text;
        try {
          const body = JSON.parse(text) as { code?: string; message?: string };
          reason = `${body.code ?? response.statusCode}: ${body.message ?? text}`;
        } catch {
          // Not JSON: shown as it came.
        }
        const status = response.statusCode ?? 502;
        finish(fail(new ServiceCallError(`GET ${path} failed with ${status} ${reason}`, status)));
        socket.terminate();
      });
    });
    socket.on('error', (error: Error & { code?: string }) => {
      if (outcome !== undefined) return;
      const cause = error.code ?? error.message;
      finish(fail(new ServiceCallError(`cannot reach the gateway at ${endpoint.url} (${cause})`, undefined)));
    });
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const message = JSON.parse(text) as WatchMessage;
      if (message.type === 'ready') {
        lastCursor = message.cursor;
        io.err.write(`watching ${namespace} from cursor ${message.cursor}\n`);
      } else if (message.type === 'error') {
        // Refusals found after the upgrade (unknown namespace, bad cursor) come as a message.
        const status = (ErrorCodes as Record<string, { status: number }>)[message.code]?.status ?? 500;
        finish(
          fail(
            new ServiceCallError(`watch failed with ${status} ${message.code}: ${message.message}`, status),
          ),
        );
      } else {
        lastCursor = message.cursor;
        io.out.write(`${text}\n`);
      }
    });
    socket.on('close', (code: number, reason: Buffer) => {
      io.stop.removeEventListener('abort', stop);
      if (outcome === undefined) {
        const resume = lastCursor === undefined ? '' : `; resume with --cursor ${lastCursor}`;
        finish(
          fail(
            new ServiceCallError(
              `the gateway closed the watch (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})${resume}`,
              undefined,
            ),
          ),
        );
      }
      resolve(outcome ?? ExitCode.unavailable);
    });
  });
}
