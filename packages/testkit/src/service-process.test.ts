import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ServiceProcess, startProcess } from './service-process.js';
import { sleep } from './sleep.js';
import { cleanupTempDirs, tempDir } from './temp-dir.js';

/** Runs a node script as a service, stopped after each test. */
const started: ServiceProcess[] = [];
function nodeScript(name: string, script: string, logFile?: string): ServiceProcess {
  const child = startProcess({
    name,
    command: process.execPath,
    args: ['-e', script],
    ...(logFile && { logFile }),
  });
  started.push(child);
  return child;
}

/** The kernel's run state of a pid: 'T' when stopped by SIGSTOP. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
}

const FOREVER = 'setInterval(() => {}, 1000);';

describe('startProcess', () => {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((child) => child.stop(2_000)));
  });
  afterAll(cleanupTempDirs);

  it('captures stdout and stderr in memory and in the log file', async () => {
    const logFile = join(tempDir().path, 'logs', 'echo.log');
    const child = nodeScript('echo', "console.log('to stdout'); console.error('to stderr');", logFile);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.logs()).toContain('to stdout');
    expect(child.logs()).toContain('to stderr');
    expect(child.logFile).toBe(logFile);
    expect(readFileSync(logFile, 'utf8')).toMatch(/to stdout[\s\S]*to stderr|to stderr[\s\S]*to stdout/);
  });

  it('passes env and keeps only the last 200 lines', async () => {
    const child = startProcess({
      name: 'counter',
      command: process.execPath,
      args: ['-e', 'for (let i = 1; i <= 250; i++) console.log(process.env.PREFIX + i);'],
      env: { PREFIX: 'line-' },
    });
    await child.exited;
    const lines = child.logs().split('\n');
    expect(lines).toHaveLength(200);
    expect(lines[0]).toBe('line-51');
    expect(lines.at(-1)).toBe('line-250');
  });

  it('waitForLog resolves with the match once the line appears', async () => {
    const child = nodeScript(
      'server',
      `setTimeout(() => console.log('listening on port 4321'), 200); ${FOREVER}`,
    );
    const match = await child.waitForLog(/listening on port (\d+)/, 5_000);
    expect(match[1]).toBe('4321');
    // Lines already logged match too.
    expect((await child.waitForLog(/listening/g, 100))[0]).toBe('listening');
  });

  it('waitForLog rejects with recent output when the process exits first', async () => {
    const child = nodeScript('crasher', "console.error('boom: bad config'); process.exit(3);");
    await expect(child.waitForLog(/ready/, 5_000)).rejects.toThrow(
      /crasher exited \(code 3\)[\s\S]*boom: bad config/,
    );
  });

  it('waitForLog rejects on timeout', async () => {
    const child = nodeScript('quiet', FOREVER);
    await expect(child.waitForLog(/never/, 100)).rejects.toThrow(/Timed out after 100ms.*quiet/);
  });

  it('stop() sends SIGTERM and reports the exit code', async () => {
    const child = nodeScript(
      'graceful',
      `process.on('SIGTERM', () => process.exit(7)); console.log('up'); ${FOREVER}`,
    );
    await child.waitForLog(/up/);
    expect(child.isRunning()).toBe(true);
    expect(await child.stop()).toEqual({ code: 7, signal: null });
    expect(child.isRunning()).toBe(false);
    expect(await child.stop()).toEqual({ code: 7, signal: null });
  });

  it('stop() SIGKILLs a child that ignores SIGTERM after the timeout', async () => {
    const child = nodeScript(
      'stubborn',
      `process.on('SIGTERM', () => console.log('ignoring')); console.log('up'); ${FOREVER}`,
    );
    await child.waitForLog(/up/);
    const started = Date.now();
    expect(await child.stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.logs()).toContain('ignoring');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('kill() sends SIGKILL by default', async () => {
    const child = nodeScript('victim', FOREVER);
    child.kill();
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('pause() stops the process from running and resume() continues it', async () => {
    const child = nodeScript('ticker', "let n = 0; setInterval(() => console.log('tick ' + ++n), 20);");
    await child.waitForLog(/tick 2/);
    child.pause();
    await sleep(50);
    expect(processState(child.pid)).toBe('T');
    const ticksWhilePaused = child.logs().split('\n').length;
    await sleep(200);
    expect(child.logs().split('\n').length).toBe(ticksWhilePaused);

    child.resume();
    const next = Number(child.logs().split('\n').at(-1)!.split(' ')[1]) + 1;
    await child.waitForLog(new RegExp(`tick ${next}$`), 2_000);
    expect(processState(child.pid)).not.toBe('T');
  });

  it('stop() ends a paused process', async () => {
    const child = nodeScript('frozen', FOREVER);
    child.pause();
    expect(await child.stop(2_000)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('throws when the command cannot be spawned', () => {
    expect(() => startProcess({ name: 'ghost', command: '/nonexistent/binary' })).toThrow(
      /ghost.*could not start/,
    );
  });
});
