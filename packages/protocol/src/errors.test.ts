import { describe, expect, it } from 'vitest';
import { ErrorCodes, StarError } from './errors.js';

describe('StarError', () => {
  it('round-trips through its wire body with code, status and retryability', () => {
    const original = new StarError('PreconditionFailed', 'version 3 expected, found 4', { found: 4 });
    const rebuilt = StarError.fromBody(JSON.parse(JSON.stringify(original.toBody())));
    expect(rebuilt).toBeInstanceOf(StarError);
    expect(rebuilt.code).toBe('PreconditionFailed');
    expect(rebuilt.status).toBe(412);
    expect(rebuilt.retryable).toBe(false);
    expect(rebuilt.details).toEqual({ found: 4 });
  });

  it('maps an unknown code from a peer to Internal rather than trusting it', () => {
    const rebuilt = StarError.fromBody({ code: 'NoSuchCode' as never, message: 'x' });
    expect(rebuilt.code).toBe('Internal');
  });

  it('keeps a StarError as is and wraps anything else as Internal', () => {
    const timeout = new StarError('Timeout', 't');
    expect(StarError.from(timeout)).toBe(timeout);
    expect(StarError.from(new TypeError('boom')).code).toBe('Internal');
    expect(StarError.from('text').message).toBe('text');
  });

  it('marks only transient codes retryable', () => {
    const retryable = Object.entries(ErrorCodes)
      .filter(([, v]) => v.retryable)
      .map(([k]) => k)
      .sort();
    expect(retryable).toEqual(
      [
        'InsufficientStorage',
        'LinkClosed',
        'MisdirectedRequest',
        'Overloaded',
        'StaleTerm',
        'Timeout',
        'Unavailable',
      ].sort(),
    );
  });
});
