import { StarError } from '@star/protocol';
import { describe, expect, it } from 'vitest';
import { ConditionFailed, InvalidRequest, NotFound, toClientError, Unavailable } from './errors.js';

describe('toClientError', () => {
  it('maps wire codes to the typed errors callers catch, keeping code, message and details', () => {
    const cases: [string, unknown][] = [
      ['PreconditionFailed', ConditionFailed],
      ['NotFound', NotFound],
      ['BadRequest', InvalidRequest],
      ['PayloadTooLarge', InvalidRequest],
      ['Unavailable', Unavailable],
      ['MisdirectedRequest', Unavailable],
      ['LinkClosed', Unavailable],
    ];
    for (const [code, type] of cases) {
      const error = toClientError(new StarError(code as never, `m-${code}`, { version: 4 }));
      expect(error, code).toBeInstanceOf(type as never);
      expect(error.code).toBe(code);
      expect(error.message).toBe(`m-${code}`);
    }
    const failed = toClientError(new StarError('PreconditionFailed', 'x', { version: 9 })) as ConditionFailed;
    expect(failed.currentVersion).toBe(9);
    expect(toClientError(new Error('boom')).code).toBe('Internal');
  });
});
