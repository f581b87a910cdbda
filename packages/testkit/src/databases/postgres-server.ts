import { randomBytes } from 'node:crypto';
import { chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onExit } from 'signal-exit';
import which from 'which';
import { freePort } from '../free-port.js';
import { type ProcessExit, type ServiceProcess, startProcess } from '../service-process.js';
import { TempDirRegistry } from '../temp-dir.js';
import { findOrInstall, isExecutable, runCaptured } from './apt-install.js';
import { osUser, type RunAs, runAsArgs } from './run-as.js';

export const POSTGRES_INSTALL_HINT =
  'PostgreSQL server binaries (initdb, postgres) are required for the connector tests. Install them with ' +
  '`sudo apt-get install -y postgresql` (Debian/Ubuntu), or set STAR_POSTGRES_BIN to the directory holding them.';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** `postgres://user:password@127.0.0.1:PORT/database` */
  readonly url: string;
  /**
   * Everything the server logged so far, including each statement (`log_statement=all`): with the
   * extended protocol a parameterized query shows as `execute <unnamed>: ... $1` plus a
   * `parameters: $1 = ...` detail line, which is how tests prove what SQL a client really sent.
   */
  log(): string;
  /** Fast shutdown (SIGINT), then removes the data dir. */
  stop(): Promise<void>;
}

const ownedDirs = new TempDirRegistry();
onExit(() => ownedDirs.cleanupAllSync(), { alwaysLast: true });
const LAUNCH_ATTEMPTS = 5;

/** The directory holding initdb and postgres: $STAR_POSTGRES_BIN, Debian's versioned dir, or PATH. */
async function findPostgresBin(): Promise<string | undefined> {
  const configured = process.env.STAR_POSTGRES_BIN;
  if (configured) return configured;
  const debianRoot = '/usr/lib/postgresql';
  try {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(debianRoot, version, 'bin');
      if ((await isExecutable(join(bin, 'initdb'))) && (await isExecutable(join(bin, 'postgres'))))
        return bin;
    }
  } catch {
    // No Debian layout; fall through to PATH.
  }
  const initdb = await which('initdb', { nothrow: true });
  return initdb ? join(initdb, '..') : undefined;
}

/**
 * Starts a private PostgreSQL server: a fresh cluster in its own temp dir, listening on 127.0.0.1 at
 * a free port, password authentication (scram) for a generated superuser. PostgreSQL refuses to run
 * as root, so as root the server runs as the `postgres` OS user in a dir that user owns.
 */
export async function startPostgres(options: { startTimeoutMs?: number } = {}): Promise<PostgresServer> {
  const bin = await findOrInstall({
    find: findPostgresBin,
    aptPackage: 'postgresql',
    hint: POSTGRES_INSTALL_HINT,
  });
  const runAs = process.getuid?.() === 0 ? osUser('postgres') : undefined;
  const owned = ownedDirs.create('star-postgres-');
  try {
    const user = 'star';
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const dataDir = join(owned.path, 'data');
    const passwordFile = join(owned.path, 'password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      chownSync(owned.path, runAs.uid, runAs.gid);
      chownSync(passwordFile, runAs.uid, runAs.gid);
    }
    await runCaptured(
      ...command(runAs, join(bin, 'initdb'), [
        ...['-D', dataDir, '-U', user, '--pwfile', passwordFile, '--auth', 'scram-sha-256'],
        ...['-E', 'UTF8', '--locale', 'C', '--no-sync'],
      ]),
    );
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const logFile = join(owned.path, `postgres-${port}.log`);
      const server = startProcess({
        name: `postgres-${port}`,
        logFile,
        ...commandOptions(runAs, join(bin, 'postgres'), [
          ...['-D', dataDir, '-p', String(port), '-k', owned.path],
          ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
          ...['-c', 'log_statement=all', '-c', 'logging_collector=off', '-c', 'log_destination=stderr'],
          ...['-c', 'max_connections=50', '-c', 'shared_buffers=16MB'],
        ]),
      });
      try {
        await server.waitForLog(
          /database system is ready to accept connections/,
          options.startTimeoutMs ?? 30_000,
        );
      } catch (error) {
        server.kill('SIGKILL');
        await server.exited;
        const portTaken = /could not bind|Address already in use/i.test(server.logs());
        if (portTaken && attempt < LAUNCH_ATTEMPTS) continue;
        throw error;
      }
      return new LocalPostgres({ port, user, password, logFile, server, cleanup: () => owned.cleanup() });
    }
  } catch (error) {
    await owned.cleanup();
    throw error;
  }
}

function command(runAs: RunAs | undefined, binary: string, args: string[]): [string, string[]] {
  return runAs ? ['setpriv', [...runAsArgs(runAs), binary, ...args]] : [binary, args];
}

function commandOptions(runAs: RunAs | undefined, binary: string, args: string[]) {
  const [cmd, cmdArgs] = command(runAs, binary, args);
  return { command: cmd, args: cmdArgs };
}

class LocalPostgres implements PostgresServer {
  readonly host = '127.0.0.1';
  readonly database = 'postgres';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly #logFile: string;
  readonly #server: ServiceProcess;
  readonly #cleanup: () => Promise<void>;
  #stopped: Promise<void> | undefined;

  constructor(params: {
    port: number;
    user: string;
    password: string;
    logFile: string;
    server: ServiceProcess;
    cleanup: () => Promise<void>;
  }) {
    this.port = params.port;
    this.user = params.user;
    this.password = params.password;
    this.#logFile = params.logFile;
    this.#server = params.server;
    this.#cleanup = params.cleanup;
  }

  get url(): string {
    return `postgres://${this.user}:${this.password}@${this.host}:${this.port}/${this.database}`;
  }

  log(): string {
    return readFileSync(this.#logFile, 'utf8');
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await stopWith(this.#server, 'SIGINT');
      await this.#cleanup();
    })();
    return this.#stopped;
  }
}

/** Sends `signal` (a database's fast-shutdown signal), then SIGKILL if it has not exited in time. */
export async function stopWith(
  server: ServiceProcess,
  signal: NodeJS.Signals,
  timeoutMs = 15_000,
): Promise<ProcessExit> {
  server.kill(signal);
  const timer = setTimeout(() => server.kill('SIGKILL'), timeoutMs);
  try {
    return await server.exited;
  } finally {
    clearTimeout(timer);
  }
}
