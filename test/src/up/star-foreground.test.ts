import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, waitFor } from '@star/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftovers, pidsOf, REPO_ROOT, readCluster, star, waitGone } from './star-cli.js';

const dir = tempDir('star-foreground-');
const started = new Set<number>();
afterAll(async () => {
  killLeftovers(started);
  await dir.cleanup();
});

describe('star up --foreground', () => {
  it('streams logs prefixed with the service name and stops the whole cluster on Ctrl-C', async () => {
    const env = { ...process.env };
    delete env.STAR_REDIS_URL;
    const args = [
      'up',
      '--foreground',
      '--no-build',
      '--data-dir',
      dir.path,
      '--managers',
      '1',
      '--nodes',
      '1',
    ];
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/main.js'), ...args], { env });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    cli.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    await waitFor(() => stderr.includes('Ctrl-C stops the cluster'), {
      description: 'the cluster to be up',
      timeoutMs: 60_000,
    });
    const pids = pidsOf(readCluster(dir.path));
    for (const pid of pids) started.add(pid);
    // Another command restarts c1 meanwhile: its new log lines stream with its name, and Ctrl-C
    // stops the new process too (the foreground CLI re-reads cluster.json).
    expect((await star(['restart', 'c1', '--data-dir', dir.path])).code).toBe(0);
    const after = pidsOf(readCluster(dir.path));
    for (const pid of after) started.add(pid);
    expect(after).not.toEqual(pids);
    await waitFor(() => /^c1 +\| \{"level"/m.test(stdout), {
      description: 'a c1 log line on stdout',
      timeoutMs: 10_000,
    });

    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitGone([...pids, ...after]);
    expect(pidsOf(readCluster(dir.path))).toEqual([]);
  });
});
