import { createServer, type Server, Socket } from 'node:net';
import { freePort } from './free-port.js';

/**
 * What the proxy does with traffic:
 * - `open`: forwards both ways.
 * - `refuse`: new connections are reset as soon as they are accepted (a refused dial, fast);
 *   switching to it also resets every open connection.
 * - `blackhole`: nothing moves and nothing closes — open connections stop reading and new ones
 *   are accepted but not dialed onward — as when packets are dropped. Bytes already sent wait in
 *   kernel buffers and are delivered on `heal()`, as TCP's retransmissions would deliver them
 *   after a partition short enough that neither side timed the connection out.
 */
export type ProxyMode = 'open' | 'refuse' | 'blackhole';

export interface TcpProxyOptions {
  /** Where to forward to. */
  target: { host?: string; port: number };
  /** Port to listen on (127.0.0.1); a free one by default. */
  port?: number;
  /** Name used in errors and by the fault timeline. */
  name?: string;
}

export interface TcpProxyStats {
  /** Connections accepted since start. */
  accepted: number;
  /** Connections currently open (accepted and not yet closed). */
  open: number;
  /** Connections reset by `refuse` mode or `cut()`. */
  reset: number;
  /** Bytes forwarded, both directions together. */
  bytes: number;
}

/** One accepted connection and its onward leg. */
interface ProxiedConnection {
  client: Socket;
  upstream: Socket | undefined;
  /** The onward leg is connected and both directions are wired. */
  wired: boolean;
  /** Frozen by `freeze()`: never resumes (a path whose far end vanished without a FIN or RST). */
  frozen?: boolean;
}

/**
 * A TCP proxy the test harness controls: it listens on a port of its own and forwards every
 * connection to a target, until told to refuse, blackhole or cut connections. Pointing a service's
 * address (or its Redis URL) at a proxy lets a test partition that one path while the processes
 * on both ends keep running.
 */
export class TcpProxy {
  readonly name: string;
  readonly port: number;
  readonly target: { host: string; port: number };
  readonly #server: Server;
  readonly #connections = new Set<ProxiedConnection>();
  readonly #stats: TcpProxyStats = { accepted: 0, open: 0, reset: 0, bytes: 0 };
  #mode: ProxyMode = 'open';
  #closed = false;

  private constructor(name: string, port: number, target: { host: string; port: number }) {
    this.name = name;
    this.port = port;
    this.target = target;
    this.#server = createServer({ pauseOnConnect: true }, (client) => this.#accept(client));
  }

  /** Starts a proxy listening on 127.0.0.1. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const port = options.port ?? (await freePort());
    const target = { host: options.target.host ?? '127.0.0.1', port: options.target.port };
    const proxy = new TcpProxy(options.name ?? `proxy:${port}->${target.port}`, port, target);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(port, '127.0.0.1', () => {
        proxy.#server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** `127.0.0.1:PORT`, the address clients dial instead of the target's. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  stats(): TcpProxyStats {
    return { ...this.#stats, open: this.#connections.size };
  }

  /** Resets every open connection now; new ones are handled by the current mode. */
  cut(): void {
    for (const connection of [...this.#connections]) this.#reset(connection);
  }

  /** Resets open connections and every new one until `heal()`. */
  refuse(): void {
    this.#mode = 'refuse';
    this.cut();
  }

  /** Stops every byte, in and out, without closing anything, until `heal()`. */
  blackhole(): void {
    this.#mode = 'blackhole';
    for (const { client, upstream } of this.#connections) {
      client.pause();
      upstream?.pause();
    }
  }

  /**
   * Stops every byte of the connections open now, for good, without closing them: a half-open
   * path (the far end vanished without a FIN or RST). New connections are forwarded as usual.
   */
  freeze(): void {
    for (const connection of this.#connections) {
      connection.frozen = true;
      connection.client.pause();
      connection.upstream?.pause();
    }
  }

  /** Back to forwarding: blackholed connections resume (and held dials go ahead). */
  heal(): void {
    const was = this.#mode;
    this.#mode = 'open';
    if (was !== 'blackhole') return;
    for (const connection of [...this.#connections]) {
      if (connection.frozen) continue;
      if (connection.upstream === undefined) this.#dial(connection);
      else if (connection.wired) {
        connection.client.resume();
        connection.upstream.resume();
      }
    }
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.#stats.accepted++;
    const connection: ProxiedConnection = { client, upstream: undefined, wired: false };
    this.#connections.add(connection);
    client.on('error', () => this.#drop(connection));
    client.on('close', () => this.#drop(connection));
    if (this.#mode === 'refuse' || this.#closed) {
      this.#reset(connection);
      return;
    }
    // Blackholed: hold the accepted socket, unread and undialed, as a dial into a partition hangs.
    if (this.#mode === 'open') this.#dial(connection);
  }

  #dial(connection: ProxiedConnection): void {
    const { client } = connection;
    const upstream = new Socket();
    connection.upstream = upstream;
    upstream.on('error', () => this.#drop(connection));
    upstream.on('close', () => this.#drop(connection));
    // Until wired, both legs stay paused (the client by pauseOnConnect), so nothing is read early.
    upstream.pause();
    upstream.connect(this.target.port, this.target.host, () => {
      this.#forward(connection, client, upstream);
      this.#forward(connection, upstream, client);
      connection.wired = true;
    });
  }

  /** Copies `from` to `to`, pausing `from` while `to` is full; never resumes while blackholed. */
  #forward(connection: ProxiedConnection, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      this.#stats.bytes += chunk.length;
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (this.#mode === 'open' && !connection.frozen) from.resume();
    });
    from.on('end', () => to.end());
    if (this.#mode === 'open') from.resume();
  }

  /** Ends one connection on both legs with a TCP reset, as a broken network path would. */
  #reset(connection: ProxiedConnection): void {
    if (!this.#connections.has(connection)) return;
    this.#stats.reset++;
    this.#connections.delete(connection);
    connection.client.resetAndDestroy();
    connection.upstream?.resetAndDestroy();
  }

  /** One leg closed or failed: close the other, so each end sees what the other saw. */
  #drop(connection: ProxiedConnection): void {
    if (!this.#connections.delete(connection)) return;
    connection.client.destroy();
    connection.upstream?.destroy();
  }
}
