import { StarError } from '@star/protocol';

/** `"12"` (or `12`, or `W/"12"`) → 12; anything else is a 400 naming the header. */
export function parseVersionTag(header: string, name: string): number {
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (match === null) {
    throw new StarError(
      'BadRequest',
      header.trim() === '*'
        ? `${name}: * is not supported here; give the version as "<version>"`
        : `${name} must be a quoted version like "12", got ${JSON.stringify(header)}`,
    );
  }
  return Number(match[1]);
}

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The conditions a PUT states in its headers. */
export function putConditions(headers: Record<string, string | string[] | undefined>): {
  expectedVersion?: number;
  createOnly?: boolean;
} {
  const ifMatch = single(headers['if-match'], 'If-Match');
  const ifNoneMatch = single(headers['if-none-match'], 'If-None-Match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*')
    throw new StarError('BadRequest', 'If-None-Match on a PUT must be *, meaning create-only');
  if (ifMatch !== undefined && ifNoneMatch !== undefined)
    throw new StarError('BadRequest', 'give either If-Match or If-None-Match, not both');
  return {
    ...(ifMatch === undefined ? {} : { expectedVersion: parseVersionTag(ifMatch, 'If-Match') }),
    ...(ifNoneMatch === undefined ? {} : { createOnly: true }),
  };
}

export function deleteConditions(headers: Record<string, string | string[] | undefined>): {
  expectedVersion?: number;
} {
  const ifMatch = single(headers['if-match'], 'If-Match');
  return ifMatch === undefined ? {} : { expectedVersion: parseVersionTag(ifMatch, 'If-Match') };
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new StarError('BadRequest', `${name} given more than once`);
  return value;
}

/**
 * What a public caller sees of an error: one a retry could fix that still failed within the deadline
 * (a shard mid-reconfiguration, no live replica) is a 503 with Retry-After, never an internal code.
 */
export function publicError(error: unknown): StarError {
  const star = StarError.from(error);
  if (star.retryable && star.code !== 'Unavailable' && star.code !== 'Timeout')
    return new StarError('Unavailable', star.message, star.details);
  return star;
}
