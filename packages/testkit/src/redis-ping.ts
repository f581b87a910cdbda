import { Socket } from 'node:net';

/**
 * True if a Redis on host:port (default 127.0.0.1) answers PING with PONG within `timeoutMs`.
 * A raw socket, because ioredis would retry and queue on its own; a server still loading its AOF
 * answers -LOADING, which counts as not ready.
 */
export function pingRedis(port: number, timeoutMs = 500, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const finish = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
    socket.connect(port, host, () => socket.write('PING\r\n'));
  });
}
