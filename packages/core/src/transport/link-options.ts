import { LinkDefaults } from '@star/protocol';

export interface LinkOptions {
  /** Largest frame this side sends or accepts, in bytes. */
  maxFrameBytes: number;
  /** Default deadline of a request, from the call until its response (queueing included). */
  requestTimeoutMs: number;
  /** Bytes handed to the socket but not yet written out, above which further frames wait in a queue. */
  highWaterMarkBytes: number;
  /** Frames that may wait for socket space; beyond it requests and notifications fail with `Overloaded`. */
  maxQueuedFrames: number;
  /** Requests from the peer being handled or answered at once; beyond it the link stops reading. */
  maxPendingReplies: number;
  /** WebSocket ping period; a peer that misses a whole period is cut off. 0 disables. */
  pingIntervalMs: number;
}

export const defaultLinkOptions: LinkOptions = {
  maxFrameBytes: LinkDefaults.maxFrameBytes,
  requestTimeoutMs: LinkDefaults.requestTimeoutMs,
  highWaterMarkBytes: LinkDefaults.highWaterMarkBytes,
  maxQueuedFrames: LinkDefaults.maxQueuedFrames,
  maxPendingReplies: 10_000,
  pingIntervalMs: 5_000,
};

export function resolveLinkOptions(options: Partial<LinkOptions> | undefined): LinkOptions {
  return { ...defaultLinkOptions, ...options };
}
