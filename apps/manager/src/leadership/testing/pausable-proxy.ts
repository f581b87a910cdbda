import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP proxy for tests that cuts one client off from Redis without touching the server: while
 * paused it holds every byte in both directions (as a partition does, to TCP) and delivers them,
 * in order, on resume — so a request sent during the partition reaches Redis afterwards.
 */
export class PausableProxy {
  readonly #server: Server;
  readonly #links = new Set<Link>();
  #paused = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number): Promise<PausableProxy> {
    const server = createServer();
    const proxy = new PausableProxy(server);
    server.on('connection', (client) => proxy.#link(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const link of this.#links) link.flush();
  }

  async close(): Promise<void> {
    for (const link of this.#links) link.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #link(client: Socket, targetPort: number): void {
    const link = new Link(client, targetPort, () => this.#paused);
    this.#links.add(link);
    link.onClose = () => this.#links.delete(link);
  }
}

class Link {
  readonly #client: Socket;
  readonly #upstream: Socket;
  readonly #held: { to: Socket; chunk: Buffer }[] = [];
  onClose: () => void = () => {};

  constructor(client: Socket, targetPort: number, paused: () => boolean) {
    this.#client = client;
    this.#upstream = new Socket().connect(targetPort, '127.0.0.1');
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (paused() || this.#held.length > 0) this.#held.push({ to, chunk });
      else to.write(chunk);
    };
    client.on('data', forward(this.#upstream));
    this.#upstream.on('data', forward(client));
    for (const socket of [client, this.#upstream]) {
      socket.on('error', () => this.destroy());
      socket.on('close', () => this.destroy());
    }
  }

  flush(): void {
    for (const { to, chunk } of this.#held.splice(0)) to.write(chunk);
  }

  destroy(): void {
    this.#client.destroy();
    this.#upstream.destroy();
    this.onClose();
  }
}
