import { type Frame, FrameType } from '@star/protocol';
import { Packr } from 'msgpackr';

/** Plain MessagePack (no msgpackr records) so a client in any language can speak the link protocol. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeFrame(frame: Frame): Buffer {
  return packr.pack(frame);
}

/** Why a received message is not a frame; `id` is set when the reply can name the request. */
export class FrameDecodeError extends Error {
  constructor(
    message: string,
    readonly id: number = 0,
  ) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Decodes and checks the shape of one frame; throws FrameDecodeError, never anything else. */
export function decodeFrame(data: Uint8Array): Frame {
  let value: unknown;
  try {
    value = packr.unpack(data);
  } catch (error) {
    throw new FrameDecodeError(`not MessagePack: ${(error as Error).message}`);
  }
  return checkFrame(value);
}

/**
 * Decodes one WebSocket message: one or more frames written back to back (a sender batches the
 * frames of one event-loop turn into one message). Bytes that are not MessagePack throw; a value
 * that is not a frame becomes a FrameDecodeError in its place, so the other frames still count.
 */
export function decodeFrames(data: Uint8Array): (Frame | FrameDecodeError)[] {
  let values: unknown[];
  try {
    values = packr.unpackMultiple(data);
  } catch (error) {
    throw new FrameDecodeError(`not MessagePack: ${(error as Error).message}`);
  }
  return values.map((value) => {
    try {
      return checkFrame(value);
    } catch (error) {
      return error as FrameDecodeError;
    }
  });
}

function checkFrame(value: unknown): Frame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FrameDecodeError('a frame must be a map');
  }
  const frame = value as Record<string, unknown>;
  const id = isRequestId(frame.id) ? frame.id : 0;
  switch (frame.t) {
    case FrameType.Request:
      if (id === 0) throw new FrameDecodeError('request frame without a positive integer id');
      if (typeof frame.m !== 'string' || frame.m.length === 0) {
        throw new FrameDecodeError('request frame without a method name', id);
      }
      return { t: FrameType.Request, id, m: frame.m, b: frame.b };
    case FrameType.Response:
      if (id === 0) throw new FrameDecodeError('response frame without a positive integer id');
      return { t: FrameType.Response, id, b: frame.b };
    case FrameType.ErrorResponse: {
      const e = frame.e as Record<string, unknown> | undefined;
      if (
        typeof e !== 'object' ||
        e === null ||
        typeof e.code !== 'string' ||
        typeof e.message !== 'string'
      ) {
        throw new FrameDecodeError('error frame without {code, message}', id);
      }
      return { t: FrameType.ErrorResponse, id, e: e as never };
    }
    case FrameType.Notify:
      if (typeof frame.m !== 'string' || frame.m.length === 0) {
        throw new FrameDecodeError('notify frame without a method name');
      }
      return { t: FrameType.Notify, m: frame.m, b: frame.b };
    default:
      throw new FrameDecodeError(`unknown frame type ${JSON.stringify(frame.t)}`, id);
  }
}
