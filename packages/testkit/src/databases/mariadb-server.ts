import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onExit } from 'signal-exit';
import which from 'which';
import { freePort } from '../free-port.js';
import { type ServiceProcess, startProcess } from '../service-process.js';
import { TempDirRegistry } from '../temp-dir.js';
import { findOrInstall, isExecutable, runCaptured } from './apt-install.js';
import { stopWith } from './postgres-server.js';

export const MARIADB_INSTALL_HINT =
  'MariaDB server binaries (mariadb-install-db, mariadbd) are required for the connector tests. Install them ' +
  'with `sudo apt-get install -y mariadb-server` (Debian/Ubuntu), or set STAR_MARIADB_BIN to the directory ' +
  'holding both.';

export interface MariadbServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A database created for the caller (`star`), owned by `user`. */
  readonly database: string;
  /** `mysql://user:password@127.0.0.1:PORT/database` */
  readonly url: string;
  /** The general query log: every statement as received (`Prepare` lines keep their `?` placeholders). */
  generalLog(): string;
  /** The server's own stderr (start-up, errors). */
  logs(): string;
  stop(): Promise<void>;
}

interface MariadbBinaries {
  installDb: string;
  server: string;
}

const ownedDirs = new TempDirRegistry();
onExit(() => ownedDirs.cleanupAllSync(), { alwaysLast: true });
const LAUNCH_ATTEMPTS = 5;

async function findMariadb(): Promise<MariadbBinaries | undefined> {
  const configured = process.env.STAR_MARIADB_BIN;
  const candidates = configured
    ? [{ installDb: join(configured, 'mariadb-install-db'), server: join(configured, 'mariadbd') }]
    : [
        {
          installDb: (await which('mariadb-install-db', { nothrow: true })) ?? '/usr/bin/mariadb-install-db',
          server: (await which('mariadbd', { nothrow: true })) ?? '/usr/sbin/mariadbd',
        },
      ];
  for (const candidate of candidates) {
    if ((await isExecutable(candidate.installDb)) && (await isExecutable(candidate.server))) return candidate;
  }
  return undefined;
}

/**
 * Starts a private MariaDB server: a fresh data dir (mariadb-install-db) in its own temp dir, on
 * 127.0.0.1 at a free port, with a password user `star` that owns database `star`, and the general
 * query log on so tests can see the SQL a client sent.
 */
export async function startMariadb(options: { startTimeoutMs?: number } = {}): Promise<MariadbServer> {
  const binaries = await findOrInstall({
    find: findMariadb,
    aptPackage: 'mariadb-server',
    hint: MARIADB_INSTALL_HINT,
  });
  const owned = ownedDirs.create('star-mariadb-');
  try {
    const user = 'star';
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const dataDir = join(owned.path, 'data');
    const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
    await runCaptured(binaries.installDb, [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      ...asRoot,
    ]);
    const initFile = join(owned.path, 'init.sql');
    writeFileSync(
      initFile,
      [
        `CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}';`,
        `CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY '${password}';`,
        'CREATE DATABASE IF NOT EXISTS star;',
        `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%';`,
        `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'localhost';`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const generalLogFile = join(owned.path, 'general.log');
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const server = startProcess({
        name: `mariadb-${port}`,
        logFile: join(owned.path, `mariadbd-${port}.log`),
        command: binaries.server,
        args: [
          '--no-defaults',
          ...asRoot,
          `--datadir=${dataDir}`,
          `--socket=${join(owned.path, 'mariadb.sock')}`,
          `--pid-file=${join(owned.path, 'mariadb.pid')}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          '--skip-name-resolve',
          `--init-file=${initFile}`,
          '--general-log=1',
          `--general-log-file=${generalLogFile}`,
          '--innodb-buffer-pool-size=16M',
          '--innodb-flush-log-at-trx-commit=0',
          '--skip-log-bin',
          '--max-connections=50',
        ],
      });
      try {
        await server.waitForLog(/ready for connections/, options.startTimeoutMs ?? 60_000);
      } catch (error) {
        server.kill('SIGKILL');
        await server.exited;
        const portTaken = /Address already in use|Can't start server: Bind/i.test(server.logs());
        if (portTaken && attempt < LAUNCH_ATTEMPTS) continue;
        throw error;
      }
      return new LocalMariadb({
        port,
        user,
        password,
        generalLogFile,
        server,
        cleanup: () => owned.cleanup(),
      });
    }
  } catch (error) {
    await owned.cleanup();
    throw error;
  }
}

class LocalMariadb implements MariadbServer {
  readonly host = '127.0.0.1';
  readonly database = 'star';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly #generalLogFile: string;
  readonly #server: ServiceProcess;
  readonly #cleanup: () => Promise<void>;
  #stopped: Promise<void> | undefined;

  constructor(params: {
    port: number;
    user: string;
    password: string;
    generalLogFile: string;
    server: ServiceProcess;
    cleanup: () => Promise<void>;
  }) {
    this.port = params.port;
    this.user = params.user;
    this.password = params.password;
    this.#generalLogFile = params.generalLogFile;
    this.#server = params.server;
    this.#cleanup = params.cleanup;
  }

  get url(): string {
    return `mysql://${this.user}:${this.password}@${this.host}:${this.port}/${this.database}`;
  }

  generalLog(): string {
    return readFileSync(this.#generalLogFile, 'utf8');
  }

  logs(): string {
    return this.#server.logs();
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await stopWith(this.#server, 'SIGTERM');
      await this.#cleanup();
    })();
    return this.#stopped;
  }
}
