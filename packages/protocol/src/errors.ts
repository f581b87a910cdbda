/**
 * Every error Star reports across a process boundary carries one of these codes. The HTTP status
 * is what the public API answers with; `retryable` tells clients whether the same request may
 * succeed later (after a map refresh, a reconnect or a lease renewal) without being re-thought.
 */
export const ErrorCodes = {
  BadRequest: { status: 400, retryable: false },
  Unauthorized: { status: 401, retryable: false },
  Forbidden: { status: 403, retryable: false },
  NotFound: { status: 404, retryable: false },
  Conflict: { status: 409, retryable: false },
  PreconditionFailed: { status: 412, retryable: false },
  PayloadTooLarge: { status: 413, retryable: false },
  MisdirectedRequest: { status: 421, retryable: true },
  InvalidConfig: { status: 500, retryable: false },
  Internal: { status: 500, retryable: false },
  /** An external source behind a connector failed or is unreachable (after the gateway's own retries). */
  BadGateway: { status: 502, retryable: false },
  Unavailable: { status: 503, retryable: true },
  Overloaded: { status: 503, retryable: true },
  Timeout: { status: 504, retryable: true },
  /**
   * The node cannot persist (its disk is full): nothing of the request was stored. Retryable: the
   * node stops renewing its lease, so the manager chains around it and a retry reaches a new head.
   */
  InsufficientStorage: { status: 507, retryable: true },
  /** Transport level: the link closed before the request got its answer. */
  LinkClosed: { status: 503, retryable: true },
  /** Transport level: the peer sent bytes that do not decode to a frame. */
  MalformedFrame: { status: 400, retryable: false },
  /** Transport level: a frame is larger than the link's limit. */
  FrameTooLarge: { status: 413, retryable: false },
  /** Transport level: the peer has no handler for the method. */
  UnknownMethod: { status: 400, retryable: false },
  /** Chain level: the message carried an older term than the receiver's. */
  StaleTerm: { status: 409, retryable: true },
  /** A value in the control plane (Redis) does not decode: logged where it is read, never trusted. */
  MalformedControlPlane: { status: 500, retryable: false },
  /** A watch or read asked for log entries that compaction already dropped. */
  Compacted: { status: 410, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ErrorCodes;

/** The wire form of an error: what a frame or an HTTP body carries. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** A typed error that survives serialization: throw it anywhere, rebuild it from its body on the other side. */
export class StarError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StarError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }

  get retryable(): boolean {
    return ErrorCodes[this.code].retryable;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromBody(body: ErrorBody): StarError {
    return new StarError(isErrorCode(body.code) ? body.code : 'Internal', body.message, body.details);
  }

  /** Wraps anything thrown into a StarError without losing a StarError's own code. */
  static from(error: unknown): StarError {
    if (error instanceof StarError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new StarError('Internal', message);
  }
}
