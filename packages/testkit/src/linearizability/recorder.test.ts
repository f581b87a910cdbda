import { describe, expect, it } from 'vitest';
import { checkHistory } from './check.js';
import { HistoryFormatError } from './history.js';
import { historyToJsonLines, parseHistoryJsonLines } from './json-lines.js';
import { HistoryRecorder } from './recorder.js';

function steppingClock() {
  let now = 0;
  return () => ++now;
}

describe('HistoryRecorder', () => {
  it('records invocations and completions with the clock', () => {
    const recorder = new HistoryRecorder({ clock: steppingClock() });
    const write = recorder.invoke(1, 'k', 'write', { value: 'a' }); // t=1
    const read = recorder.invoke('c2', 'k', 'read', {}); // t=2
    write.ok({ version: 7 }); // t=3
    read.ok({ value: 'a', version: 7 }); // t=4
    const cas = recorder.invoke(1, 'k', 'cas', { value: 'b', expectedVersion: 6 }); // t=5
    cas.fail({ error: 'VersionMismatch' }); // t=6
    expect(recorder.operations()).toEqual([
      {
        id: 0,
        client: 1,
        key: 'k',
        type: 'write',
        input: { value: 'a' },
        invokedAt: 1,
        outcome: 'ok',
        output: { version: 7 },
        completedAt: 3,
      },
      {
        id: 1,
        client: 'c2',
        key: 'k',
        type: 'read',
        input: {},
        invokedAt: 2,
        outcome: 'ok',
        output: { value: 'a', version: 7 },
        completedAt: 4,
      },
      {
        id: 2,
        client: 1,
        key: 'k',
        type: 'cas',
        input: { value: 'b', expectedVersion: 6 },
        invokedAt: 5,
        outcome: 'fail',
        output: { error: 'VersionMismatch' },
        completedAt: 6,
      },
    ]);
    expect(checkHistory(recorder.operations()).verdict).toBe('linearizable');
  });

  it('reports operations still in flight, and those given up on, as indeterminate', () => {
    const recorder = new HistoryRecorder({ clock: steppingClock() });
    recorder.invoke(1, 'k', 'write', { value: 'a' }).info();
    recorder.invoke(2, 'k', 'delete', {});
    expect(recorder.pendingCount).toBe(1);
    expect(recorder.operations().map((op) => [op.id, op.outcome, op.completedAt])).toEqual([
      [0, 'info', 2],
      [1, 'info', undefined],
    ]);
  });

  it('refuses to complete an operation twice', () => {
    const handle = new HistoryRecorder().invoke(1, 'k', 'read', {});
    handle.ok({ value: null });
    expect(() => handle.info()).toThrow(/already completed/);
  });

  it('uses performance.now() by default', () => {
    const before = performance.now();
    const recorder = new HistoryRecorder();
    recorder.invoke(1, 'k', 'read', {}).ok({ value: null });
    const [op] = recorder.operations();
    expect(op!.invokedAt).toBeGreaterThanOrEqual(before);
    expect(op!.completedAt).toBeGreaterThanOrEqual(op!.invokedAt);
  });
});

describe('JSON lines', () => {
  it('round-trips a recorded history', () => {
    const recorder = new HistoryRecorder({ clock: steppingClock() });
    recorder.invoke(1, 'a', 'write', { value: 'x' }).ok({ version: 1 });
    recorder.invoke(2, 'a', 'cas', { value: 'y', mustNotExist: true }).fail();
    recorder.invoke(3, 'b', 'delete', { expectedVersion: 4 }).info();
    recorder.invoke(4, 'a', 'read', {});
    const text = recorder.toJsonLines();
    expect(text.split('\n')).toHaveLength(5); // four lines, each ending with a newline
    expect(parseHistoryJsonLines(text)).toEqual(recorder.operations());
    expect(historyToJsonLines(parseHistoryJsonLines(text))).toBe(text);
  });

  it('skips blank lines and names the line of a bad record', () => {
    const good =
      '{"id":0,"client":1,"key":"k","type":"read","input":{},"outcome":"ok","output":{"value":null},"invokedAt":1,"completedAt":2}';
    expect(parseHistoryJsonLines(`\n${good}\n\n`)).toHaveLength(1);
    expect(() => parseHistoryJsonLines(`${good}\n{oops`)).toThrow(/line 2: not JSON/);
    const noOutput = good.replace(',"output":{"value":null}', '');
    expect(() => parseHistoryJsonLines(`${good}\n${noOutput}`)).toThrow(HistoryFormatError);
    expect(() => parseHistoryJsonLines(noOutput)).toThrow(
      /line 1: operation 0: ok read needs an output object/,
    );
  });
});
