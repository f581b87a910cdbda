import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { onExit } from 'signal-exit';
import type { ServiceHost } from './cluster/service-launcher.js';
import { freePort } from './free-port.js';
import { ensureRedisServer } from './redis-binary.js';
import { pingRedis } from './redis-ping.js';
import { type ProcessExit, type ServiceProcess, startProcess } from './service-process.js';
import { sleep } from './sleep.js';
import { type TempDir, TempDirRegistry } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export interface StartRedisOptions {
  /** Persist every write to an AOF with `appendfsync always`, so data survives kill() and restart(). */
  appendOnly?: boolean;
  /** A fixed port; by default a free one is picked (and re-picked if another process grabs it first). */
  port?: number;
  /** A data dir owned by the caller (kept on stop); by default a fresh temp dir removed on stop. */
  dir?: string;
  startTimeoutMs?: number;
  /** More redis-server arguments (e.g. `--replicaof 127.0.0.1 PORT` for a replica). */
  args?: string[];
  /** Runs the server on a network lab host, bound to its address (default 127.0.0.1 here). */
  host?: ServiceHost;
}

export interface RedisServer {
  /** Where it listens: 127.0.0.1, or its lab host's address. */
  readonly address: string;
  readonly port: number;
  /** `redis://ADDRESS:PORT` (127.0.0.1 unless on a lab host) */
  readonly url: string;
  readonly dir: string;
  /** The current redis-server process; changes on restart(). */
  readonly pid: number;
  /** A new ioredis connection, closed by stop(); it survives restart() by reconnecting. */
  client(options?: RedisOptions): Redis;
  /** The server's recent log lines. */
  logs(): string;
  /** Graceful shutdown (SIGTERM, which Redis treats as SHUTDOWN), closes clients, removes an owned dir. */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash; resolves once the process is gone. */
  kill(): Promise<ProcessExit>;
  /** Stops the server (if still running) and starts it again on the same port and dir. */
  restart(): Promise<void>;
  /** SIGSTOP: the server stops answering without closing connections. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

const LAUNCH_ATTEMPTS = 5;

/** Data dirs startRedis created; removed on stop(), or at process exit for servers never stopped. */
const ownedDirs = new TempDirRegistry();
onExit(() => ownedDirs.cleanupAllSync(), { alwaysLast: true });

class PortInUseError extends Error {}

/** Starts a real redis-server on 127.0.0.1 as a child process and waits until it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = await ensureRedisServer();
  const ownedDir = options.dir === undefined ? ownedDirs.create('star-redis-') : undefined;
  const dir = options.dir ?? ownedDir!.path;
  mkdirSync(dir, { recursive: true });
  const config = {
    binary,
    dir,
    // Inside an owned dir the log goes away with the data; a caller's dir is left as given.
    logFile: ownedDir ? join(dir, 'redis.log') : undefined,
    appendOnly: options.appendOnly ?? false,
    args: options.args ?? [],
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
    host: options.host,
  };
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        const server = await launchRedis({ ...config, port });
        return new LocalRedisServer({ ...config, port, ownedDir }, server);
      } catch (error) {
        // Another process may take a free port between get-port's check and redis binding it.
        const retryable = error instanceof PortInUseError && options.port === undefined;
        if (!retryable || attempt >= LAUNCH_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    await ownedDir?.cleanup();
    throw error;
  }
}

interface LaunchConfig {
  binary: string;
  dir: string;
  port: number;
  appendOnly: boolean;
  args: string[];
  startTimeoutMs: number;
  logFile: string | undefined;
  host: ServiceHost | undefined;
}

/**
 * The server's `redis.conf` in its dir, written from `args` (`--replicaof H P` → `replicaof H P`)
 * on the first start only: Sentinel rewrites it (CONFIG REWRITE) when it promotes or re-points a
 * server, so a restart keeps the role the failover gave it, as `./star up --ha`'s servers do. On
 * the command line, a promoted replica restarted with its first `--replicaof` came back a replica
 * of its own replica, and the control plane had no primary (the long fault run, seed 2031078608).
 */
function configFile(dir: string, args: readonly string[]): string {
  const path = join(dir, 'redis.conf');
  if (!existsSync(path)) {
    const lines: string[] = [];
    for (const arg of args) {
      if (arg.startsWith('--')) lines.push(arg.slice(2));
      else if (lines.length > 0) lines[lines.length - 1] += ` ${arg === '' ? '""' : arg}`;
    }
    writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
  }
  return path;
}

async function launchRedis(config: LaunchConfig): Promise<ServiceProcess> {
  const { port, dir, appendOnly } = config;
  const address = config.host?.address ?? '127.0.0.1';
  const server = startProcess({
    ...(config.host && { netns: config.host.namespace }),
    name: `redis-${port}`,
    command: config.binary,
    ...(config.logFile && { logFile: config.logFile }),
    args: [
      configFile(dir, config.args),
      ...['--port', String(port), '--bind', address, '--dir', dir, '--daemonize', 'no'],
      ...['--save', '', '--logfile', ''],
      // On a lab host clients come from other hosts, which protected mode (loopback only) refuses.
      ...(config.host ? ['--protected-mode', 'no'] : []),
      ...(appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ],
  });
  let outcome: 'ready' | 'exited';
  try {
    outcome = await waitFor(
      async () => (!server.isRunning() ? 'exited' : (await pingRedis(port, 500, address)) ? 'ready' : false),
      { description: `redis-server on port ${port} to answer PING`, timeoutMs: config.startTimeoutMs },
    );
  } catch (error) {
    server.kill();
    await server.exited;
    throw new Error(`${(error as Error).message}\n${server.logs()}`);
  }
  if (outcome === 'ready') return server;
  await server.exited;
  const logs = server.logs();
  if (/Address already in use/i.test(logs)) throw new PortInUseError(`port ${port} is in use`);
  throw new Error(`redis-server on port ${port} exited during startup:\n${logs}`);
}

class LocalRedisServer implements RedisServer {
  readonly url: string;
  readonly #clients = new Set<Redis>();
  #stopped = false;

  constructor(
    private readonly config: LaunchConfig & { ownedDir: TempDir | undefined },
    private server: ServiceProcess,
  ) {
    this.url = `redis://${this.#address}:${config.port}`;
  }

  get #address(): string {
    return this.config.host?.address ?? '127.0.0.1';
  }

  get address(): string {
    return this.#address;
  }

  get port(): number {
    return this.config.port;
  }

  get dir(): string {
    return this.config.dir;
  }

  get pid(): number {
    return this.server.pid;
  }

  client(options: RedisOptions = {}): Redis {
    const client = new Redis({ host: this.#address, port: this.port, ...options });
    // Connection errors while a test kills or pauses the server are expected; commands still reject.
    client.on('error', () => {});
    client.once('end', () => this.#clients.delete(client));
    this.#clients.add(client);
    return client;
  }

  logs(): string {
    return this.server.logs();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    await this.server.stop();
    await this.config.ownedDir?.cleanup();
  }

  kill(): Promise<ProcessExit> {
    this.server.kill('SIGKILL');
    return this.server.exited;
  }

  async restart(): Promise<void> {
    if (this.#stopped) throw new Error(`redis on port ${this.port} was stopped; start a new one instead`);
    await this.server.stop();
    // The port was ours a moment ago; only a racing process could hold it, so retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        this.server = await launchRedis(this.config);
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= LAUNCH_ATTEMPTS) throw error;
        await sleep(200 * attempt);
      }
    }
  }

  pause(): void {
    this.server.pause();
  }

  resume(): void {
    this.server.resume();
  }
}
