import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../wait-for.js';
import { runCaptured } from './apt-install.js';
import { type MariadbServer, startMariadb } from './mariadb-server.js';
import { type PostgresServer, startPostgres } from './postgres-server.js';

// The harness's own proof: each server starts privately (not on the shared 5432/3306), accepts its
// generated password over TCP, and logs the statements it receives.
describe('private database servers', () => {
  let postgres: PostgresServer;
  let mariadb: MariadbServer;

  beforeAll(async () => {
    [postgres, mariadb] = await Promise.all([startPostgres(), startMariadb()]);
  });
  afterAll(async () => {
    await Promise.all([postgres?.stop(), mariadb?.stop()]);
  });

  it('runs PostgreSQL on a free port with password auth and a statement log', async () => {
    expect(postgres.port).not.toBe(5432);
    const output = await runCaptured('env', [
      `PGPASSWORD=${postgres.password}`,
      'psql',
      '-h',
      postgres.host,
      '-p',
      String(postgres.port),
      '-U',
      postgres.user,
      '-d',
      postgres.database,
      '-tAc',
      "SELECT 'harness-' || 42",
    ]);
    expect(output.trim()).toBe('harness-42');
    // The server's logger writes asynchronously: wait for the line rather than read once.
    await waitFor(() => postgres.log().includes("SELECT 'harness-' || 42"), {
      description: 'the statement in the PostgreSQL log',
      timeoutMs: 5_000,
    });
    await expect(
      runCaptured('env', [
        'PGPASSWORD=wrong',
        'psql',
        '-h',
        postgres.host,
        '-p',
        String(postgres.port),
        '-U',
        postgres.user,
        '-d',
        postgres.database,
        '-tAc',
        'SELECT 1',
      ]),
    ).rejects.toThrow(/password authentication failed/);
  });

  it('runs MariaDB on a free port with a password user and the general log', async () => {
    expect(mariadb.port).not.toBe(3306);
    const output = await runCaptured('mariadb', [
      '--no-defaults',
      '-h',
      mariadb.host,
      '-P',
      String(mariadb.port),
      '-u',
      mariadb.user,
      `-p${mariadb.password}`,
      mariadb.database,
      '-N',
      '-e',
      "SELECT CONCAT('harness-', 42)",
    ]);
    expect(output.trim()).toBe('harness-42');
    await waitFor(() => mariadb.generalLog().includes("SELECT CONCAT('harness-', 42)"), {
      description: 'the statement in the MariaDB general log',
      timeoutMs: 5_000,
    });
  });
});
