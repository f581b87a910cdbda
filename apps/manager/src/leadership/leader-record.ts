import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The value of `star:manager:leader`: who leads, where to send writes, and its fencing token. */
export const LeaderRecordSchema = Type.Object({
  id: Type.String(),
  /** The leader's HTTP URL: followers redirect writes there. */
  address: Type.String(),
  token: Type.Integer({ minimum: 1 }),
});

export type LeaderRecord = Static<typeof LeaderRecordSchema>;

/** Parses the leader key's value; undefined if there is none or it is not a valid record. */
export function parseLeaderRecord(raw: string | null): LeaderRecord | undefined {
  if (raw === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return Value.Check(LeaderRecordSchema, value) ? value : undefined;
}
