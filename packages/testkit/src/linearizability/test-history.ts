/** Terse hand-built histories for tests: `[invokedAt, completedAt]` spans on key `k` by default. */
import type { CasInput, DeleteInput, Operation } from './history.js';

export type Span = readonly [invokedAt: number, completedAt: number];

export interface Where {
  key?: string;
  client?: number | string;
}

export class TestHistory {
  readonly ops: Operation[] = [];

  #add(span: readonly [number, number?], where: Where, rest: object): this {
    const completed = span[1] === undefined ? {} : { completedAt: span[1] };
    this.ops.push({
      id: this.ops.length,
      client: where.client ?? this.ops.length,
      key: where.key ?? 'k',
      invokedAt: span[0],
      ...completed,
      ...rest,
    } as Operation);
    return this;
  }

  read(span: Span, value: string | null, version?: number, where: Where = {}): this {
    const output = version === undefined ? { value } : { value, version };
    return this.#add(span, where, { type: 'read', input: {}, outcome: 'ok', output });
  }

  write(span: Span, value: string, version: number, where: Where = {}): this {
    return this.#add(span, where, { type: 'write', input: { value }, outcome: 'ok', output: { version } });
  }

  /** A write that timed out: its effect is unknown (it may happen any time after `invokedAt`). */
  writeInfo(invokedAt: number, value: string, where: Where = {}): this {
    return this.#add([invokedAt], where, { type: 'write', input: { value }, outcome: 'info' });
  }

  writeFail(span: Span, value: string, where: Where = {}): this {
    return this.#add(span, where, { type: 'write', input: { value }, outcome: 'fail' });
  }

  /** `result`: the new version, `fail` (precondition did not hold), or `info` (span end ignored). */
  cas(
    span: Span,
    value: string,
    condition: Omit<CasInput, 'value'>,
    result: number | 'fail' | 'info',
    where: Where = {},
  ) {
    const input = { value, ...condition };
    if (result === 'info') return this.#add([span[0]], where, { type: 'cas', input, outcome: 'info' });
    if (result === 'fail') return this.#add(span, where, { type: 'cas', input, outcome: 'fail' });
    return this.#add(span, where, { type: 'cas', input, outcome: 'ok', output: { version: result } });
  }

  /** `result`: the tombstone's version, `ok` (none reported), `fail`, or `info` (span end ignored). */
  delete(
    span: Span,
    result: number | 'ok' | 'fail' | 'info',
    condition: DeleteInput = {},
    where: Where = {},
  ) {
    if (result === 'info')
      return this.#add([span[0]], where, { type: 'delete', input: condition, outcome: 'info' });
    if (result === 'fail')
      return this.#add(span, where, { type: 'delete', input: condition, outcome: 'fail' });
    const output = result === 'ok' ? {} : { version: result };
    return this.#add(span, where, { type: 'delete', input: condition, outcome: 'ok', output });
  }
}
