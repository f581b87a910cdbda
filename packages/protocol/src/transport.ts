import type { ErrorBody } from './errors.js';

/**
 * Frames of the binary link protocol (msgpackr-encoded, one frame per WebSocket message).
 * Either end of a link may send requests and notifications; responses answer a request by id.
 */
export const FrameType = {
  Request: 1,
  Response: 2,
  ErrorResponse: 3,
  Notify: 4,
} as const;

export interface RequestFrame {
  t: typeof FrameType.Request;
  id: number;
  m: string;
  b: unknown;
}

export interface ResponseFrame {
  t: typeof FrameType.Response;
  id: number;
  b: unknown;
}

export interface ErrorResponseFrame {
  t: typeof FrameType.ErrorResponse;
  /** 0 when the error is about the link itself rather than one request. */
  id: number;
  e: ErrorBody;
}

export interface NotifyFrame {
  t: typeof FrameType.Notify;
  m: string;
  b: unknown;
}

export type Frame = RequestFrame | ResponseFrame | ErrorResponseFrame | NotifyFrame;

/** WebSocket close codes a link uses (RFC 6455 §7.4). */
export const LinkCloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  MalformedFrame: 1007,
  PolicyViolation: 1008,
  FrameTooLarge: 1009,
} as const;

export const LinkDefaults = {
  /** Largest frame either side accepts; a 4 MiB value plus headroom for keys and batching. */
  maxFrameBytes: 8 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  /** Above this many bytes queued on the socket, senders wait (backpressure). */
  highWaterMarkBytes: 1024 * 1024,
  /** Requests waiting for socket space beyond this are refused with `Overloaded`. */
  maxQueuedFrames: 50_000,
  reconnectMinDelayMs: 50,
  reconnectMaxDelayMs: 5_000,
  /** Path of the link endpoint every service mounts. */
  path: '/v1/link',
} as const;
