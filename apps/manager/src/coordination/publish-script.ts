import { FENCE_CHECK_LUA } from '../journal/lua-scripts.js';
import type { LuaScript } from '../journal/redis-script.js';

/**
 * The fenced, monotone write of a shard's config key (DESIGN §3.12, MUST): one script call checks
 * the publisher's fencing token against the leader record and the fence counter (as the journal's
 * append does), then writes the configuration only if its term is newer than the stored one. A
 * deposed leader paused between deciding and writing can therefore neither move a term backwards
 * (re-admitting a removed member) nor publish a term the current leader never journaled.
 *
 * KEYS: leader record, fence counter, shard config key.
 * ARGV: token, term, the configuration as JSON.
 * Reply: `{1, 0}` written; `{0, storedTerm}` not written because the stored term is as new or newer
 * (a malformed stored value counts as term 0 and is overwritten); or the error
 * `FENCED <token> <leader's token|none> <fence>`.
 */
export const publishScript: LuaScript = {
  name: 'starPublishShardConfig',
  keys: 3,
  lua: `#!lua
${FENCE_CHECK_LUA}local term = tonumber(ARGV[2])
local stored = redis.call('GET', KEYS[3])
if stored then
  local ok, config = pcall(cjson.decode, stored)
  if ok and type(config) == 'table' and type(config.term) == 'number' and config.term >= term then
    return {0, config.term}
  end
end
redis.call('SET', KEYS[3], ARGV[3])
return {1, 0}
`,
};
