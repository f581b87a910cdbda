import type { Redis } from 'ioredis';

/**
 * What a step of Redis's wall clock does to its keys, without touching its clock. Redis keeps each
 * key's expiry as an absolute unix time read from its own wall clock; a step of `ms` forward makes
 * every expiry come `ms` sooner (those due within `ms` expire at once), a step back makes each come
 * later. Keys written after the step live as long as their TTL says, as after a real step. This is
 * the clock fault of Redis that Star can observe: it never reads Redis's clock (no TIME, no
 * absolute expiry), only key TTLs — node leases, the leader key, BullMQ job locks.
 *
 * libfaketime (how the services' clocks are stepped) cannot start Debian's redis-server: jemalloc
 * calls clock_gettime() during libfaketime's own initialisation. One script, so every key moves at
 * the same instant, as under one clock step.
 */
const STEP_EXPIRIES_LUA = `
local step = tonumber(ARGV[1])
local moved, expired = 0, 0
for _, key in ipairs(redis.call('KEYS', '*')) do
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then
    local left = ttl - step
    if left <= 0 then
      redis.call('DEL', key)
      expired = expired + 1
    else
      redis.call('PEXPIRE', key, left)
      moved = moved + 1
    end
  end
end
return { moved, expired }
`;

/** What one step did: keys whose expiry moved, keys it expired. */
export interface KeyClockStep {
  moved: number;
  expired: number;
}

/** Steps Redis's key clock by `ms` (positive: forward, expiries sooner; negative: back, later). */
export async function stepRedisKeyClock(redis: Redis, ms: number): Promise<KeyClockStep> {
  const [moved, expired] = (await redis.eval(STEP_EXPIRIES_LUA, 0, String(Math.round(ms)))) as [
    number,
    number,
  ];
  return { moved, expired };
}
