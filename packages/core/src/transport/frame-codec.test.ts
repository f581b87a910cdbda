import { FrameType } from '@star/protocol';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeFrames, encodeFrame, FrameDecodeError } from './frame-codec.js';

describe('frame codec', () => {
  it('round-trips every frame type, keeping binary bodies as bytes', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const frames = [
      { t: FrameType.Request, id: 7, m: 'kv.put', b: { key: 'k', value: bytes } },
      { t: FrameType.Response, id: 7, b: { version: 3 } },
      { t: FrameType.ErrorResponse, id: 7, e: { code: 'Timeout', message: 'late' } },
      { t: FrameType.Notify, m: 'chain.ack', b: { commitSeq: 9 } },
    ] as const;
    for (const frame of frames) {
      expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
    }
    const decoded = decodeFrame(encodeFrame(frames[0])) as { b: { value: Uint8Array } };
    expect(Buffer.from(decoded.b.value).equals(bytes)).toBe(true);
  });

  it('rejects bytes that are not MessagePack', () => {
    expect(() => decodeFrame(Buffer.from([0xc1]))).toThrow(FrameDecodeError);
  });

  it('rejects MessagePack that is not a frame, naming the request id when it has one', () => {
    expect(() => decodeFrame(pack('hello'))).toThrow(/must be a map/);
    expect(() => decodeFrame(pack({ t: 99, id: 4 }))).toThrow(/unknown frame type/);
    try {
      decodeFrame(pack({ t: FrameType.Request, id: 12 }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FrameDecodeError);
      expect((error as FrameDecodeError).id).toBe(12);
    }
    expect(() => decodeFrame(pack({ t: FrameType.Request, id: -1, m: 'x' }))).toThrow(/positive integer id/);
  });

  it('decodes a message of several frames back to back, a bad one in place', () => {
    const good = { t: FrameType.Notify, m: 'chain.ack', b: 1 } as const;
    const message = Buffer.concat([
      encodeFrame(good),
      pack({ t: FrameType.Request, id: 3 }),
      encodeFrame(good),
    ]);
    const frames = decodeFrames(message);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toEqual(good);
    expect(frames[1]).toBeInstanceOf(FrameDecodeError);
    expect((frames[1] as FrameDecodeError).id).toBe(3);
    expect(frames[2]).toEqual(good);
    const truncated = encodeFrame(good).subarray(0, 5);
    expect(() => decodeFrames(Buffer.concat([encodeFrame(good), truncated]))).toThrow(FrameDecodeError);
  });
});
