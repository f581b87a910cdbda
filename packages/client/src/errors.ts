import { type ErrorCode, StarError } from '@star/protocol';

/**
 * The client's typed errors: each a StarError with its code, so callers can `instanceof` the
 * case they handle (`ConditionFailed`) or switch on `code` for the rest.
 */
export class ConditionFailed extends StarError {
  /** The key's current version (0 when it does not exist). */
  get currentVersion(): number {
    return typeof this.details?.version === 'number' ? this.details.version : 0;
  }
}
export class NotFound extends StarError {}
export class Unavailable extends StarError {}
export class InvalidRequest extends StarError {}

/** Rebuilds a wire error as the matching typed error. */
export function toClientError(error: unknown): StarError {
  const star = StarError.from(error);
  if (star.constructor !== StarError) return star;
  const typed = typedClass(star.code);
  return new typed(star.code, star.message, star.details);
}

function typedClass(code: ErrorCode): typeof StarError {
  switch (code) {
    case 'PreconditionFailed':
      return ConditionFailed;
    case 'NotFound':
      return NotFound;
    case 'BadRequest':
    case 'PayloadTooLarge':
      return InvalidRequest;
    case 'Unavailable':
    case 'LinkClosed':
    case 'Timeout':
    case 'Overloaded':
    case 'MisdirectedRequest':
    case 'StaleTerm':
      return Unavailable;
    default:
      return StarError;
  }
}
