import { StarError } from '@star/protocol';

/**
 * A journal write whose fencing token is not the current leader's: the writer was deposed (or never
 * led) and must stop acting. Nothing of the rejected batch was written.
 */
export class FencedError extends StarError {
  readonly token: number;
  /** The token in the leader record when the write was refused; undefined when there was no leader. */
  readonly leaderToken: number | undefined;

  constructor(token: number, leaderToken: number | undefined) {
    super('Conflict', `fenced: token ${token} is not the leader's`, {
      token,
      leaderToken: leaderToken ?? null,
    });
    this.name = 'FencedError';
    this.token = token;
    this.leaderToken = leaderToken;
  }

  /** Recognises the append script's `FENCED <token> <leader token|none> <fence>` reply. */
  static fromReply(error: unknown, token: number): FencedError | undefined {
    if (!(error instanceof Error)) return undefined;
    const match = /^FENCED \S+ (\S+)/.exec(error.message);
    if (!match) return undefined;
    const leaderToken = Number(match[1]);
    return new FencedError(token, Number.isFinite(leaderToken) ? leaderToken : undefined);
  }
}

export function isFencedError(error: unknown): error is FencedError {
  return error instanceof FencedError;
}
