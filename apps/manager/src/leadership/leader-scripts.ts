import type { LuaScript } from '../journal/redis-script.js';

/** `holds(key, id, token)`: whether the leader record names this manager with this token. */
const holds = `
local function holds(key, id, token)
  local raw = redis.call('GET', key)
  if not raw then return false end
  local ok, record = pcall(cjson.decode, raw)
  return ok and type(record) == 'table' and record.id == id and record.token == tonumber(token)
end
`;

/**
 * Takes the lead if nobody holds it: the next fencing token from INCR, and the leader record with a
 * PX lease, in one step.
 * KEYS: leader record, fence counter. ARGV: id, address, leaseMs.
 * Reply: `{1, token}` when elected, else `{0, pttl}` of the current holder's lease (-1: no expiry).
 */
export const acquireScript: LuaScript = {
  name: 'starLeaderAcquire',
  keys: 2,
  lua: `#!lua
local pttl = redis.call('PTTL', KEYS[1])
if pttl ~= -2 then return {0, pttl} end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], cjson.encode({id = ARGV[1], address = ARGV[2], token = token}), 'PX', ARGV[3])
return {1, token}
`,
};

/**
 * Extends the lease if the record is still ours (same id and token).
 * KEYS: leader record. ARGV: id, token, leaseMs. Reply: 1 if renewed, 0 if the lead is not ours.
 */
export const renewScript: LuaScript = {
  name: 'starLeaderRenew',
  keys: 1,
  lua: `#!lua
${holds}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
};

/**
 * Gives the lead up if the record is still ours, so a successor need not wait for the lease.
 * KEYS: leader record. ARGV: id, token. Reply: 1 if deleted, 0 if it was not ours.
 */
export const releaseScript: LuaScript = {
  name: 'starLeaderRelease',
  keys: 1,
  lua: `#!lua
${holds}
if not holds(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
};
