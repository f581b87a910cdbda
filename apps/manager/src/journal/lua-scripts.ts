import type { LuaScript } from './redis-script.js';

/**
 * The fenced append (DESIGN §4, MUST): one script call checks the writer's fencing token against
 * the leader record and the fence counter, then XADDs every entry, so a deposed leader can write
 * nothing and a batch lands whole or not at all.
 *
 * The `#!lua` shebang (Redis 7) makes Redis refuse the whole script up front when it is out of
 * memory, instead of failing at some XADD in the middle of a batch; the checks come before any
 * write, and XADD with `*` has no other way to fail.
 *
 * KEYS: leader record, fence counter, journal stream.
 * ARGV: token, then one JSON entry per element.
 * Reply: the stream ids, in order; or the error `FENCED <token> <leader's token|none> <fence>`.
 */
/**
 * The fencing check every fenced script starts with (KEYS[1] leader record, KEYS[2] fence counter,
 * ARGV[1] the caller's token): anything but the current leader's token is refused before any write.
 */
export const FENCE_CHECK_LUA = `local token = tonumber(ARGV[1])
local holder = 'none'
local raw = redis.call('GET', KEYS[1])
if raw then
  local ok, record = pcall(cjson.decode, raw)
  if ok and type(record) == 'table' and type(record.token) == 'number' then holder = record.token end
end
local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
if token == nil or holder ~= token or fence ~= token then
  return redis.error_reply('FENCED ' .. ARGV[1] .. ' ' .. tostring(holder) .. ' ' .. tostring(fence))
end
`;

export const appendScript: LuaScript = {
  name: 'starJournalAppend',
  keys: 3,
  lua: `#!lua
${FENCE_CHECK_LUA}local ids = {}
for i = 2, #ARGV do
  ids[i - 1] = redis.call('XADD', KEYS[3], '*', 'e', ARGV[i], 't', ARGV[1])
end
return ids
`,
};

/**
 * Trims the journal up to and including a stream id that an image covers: records the trim point
 * first (never moving it back), then drops the entries (`XTRIM MINID` keeps ids >= its argument, so
 * it is given the id right after). One script, so no reader sees entries gone without the marker.
 *
 * KEYS: journal stream, trim marker. ARGV: the id to trim up to, the id right after it.
 * Reply: entries removed.
 */
export const trimScript: LuaScript = {
  name: 'starJournalTrim',
  keys: 2,
  lua: `
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local current = redis.call('GET', KEYS[2])
if current then
  local cm, cs = parse(current)
  local nm, ns = parse(ARGV[1])
  if nm < cm or (nm == cm and ns <= cs) then return 0 end
end
redis.call('SET', KEYS[2], ARGV[1])
return redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2])
`,
};
