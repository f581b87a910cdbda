import { describe, expect, it } from 'vitest';
import { buildProgram, type Commands } from './program.js';

/** Parses argv with commands that only record what they were asked to do. */
async function parse(
  argv: string[],
): Promise<{ calls: Array<[string, unknown?, unknown?]>; exitCode: number }> {
  const calls: Array<[string, unknown?, unknown?]> = [];
  const commands: Commands = {
    test: async (options) => {
      calls.push(['test', options]);
      return 0;
    },
    checkpoint: async (kind, options) => {
      calls.push(['checkpoint', kind, options]);
      return 0;
    },
  };
  const program = buildProgram(commands).exitOverride();
  // Keep commander's usage errors out of the test output; they still reject.
  for (const command of [program, ...program.commands])
    command.exitOverride().configureOutput({ writeErr: () => {} });
  await program.parseAsync(argv, { from: 'user' });
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { calls, exitCode };
}

describe('star command line', () => {
  it('parses `test` with no options', async () => {
    expect((await parse(['test'])).calls).toEqual([['test', {}]]);
  });

  it('passes --filter through', async () => {
    expect((await parse(['test', '--filter', 'x'])).calls).toEqual([['test', { filter: ['x'] }]]);
  });

  it('collects repeated --filter and --faults', async () => {
    const { calls } = await parse(['test', '--filter=@star/core', '--filter', '@star/node', '--faults']);
    expect(calls).toEqual([['test', { filter: ['@star/core', '@star/node'], faults: true }]]);
  });

  it('passes `test --faults --long --minutes 30` through to the fault suite', async () => {
    const { calls } = await parse(['test', '--faults', '--long', '--minutes', '30', '--seed', '7']);
    expect(calls).toEqual([['test', { faults: true, long: true, minutes: '30', seed: '7' }]]);
  });

  it('parses `checkpoint snapshot --shard 7 --manager <url> --wait`', async () => {
    const { calls } = await parse([
      'checkpoint',
      'snapshot',
      '--shard',
      '7',
      '--manager',
      'http://m:1',
      '--wait',
    ]);
    expect(calls).toEqual([['checkpoint', 'snapshot', { shard: 7, manager: 'http://m:1', wait: true }]]);
  });

  it('rejects an unknown checkpoint kind', async () => {
    await expect(parse(['checkpoint', 'everything'])).rejects.toThrow(/unknown checkpoint kind 'everything'/);
  });

  it('rejects unknown options', async () => {
    await expect(parse(['test', '--bogus'])).rejects.toThrow(/unknown option '--bogus'/);
  });
});
