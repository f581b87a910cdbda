import type { Redis } from 'ioredis';

/** A Lua script with a fixed number of KEYS; ARGV may vary per call. */
export interface LuaScript {
  /** The ioredis command name it is registered under; unique per script. */
  readonly name: string;
  readonly keys: number;
  readonly lua: string;
}

export type ScriptArg = string | number;
export type ScriptCall = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

type CommandTable = Record<string, ((...args: ScriptArg[]) => Promise<unknown>) | undefined>;

/**
 * Registers the script on the connection once (ioredis `defineCommand`: EVALSHA, falling back to
 * EVAL after a NOSCRIPT, e.g. after a Redis restart) and returns a typed caller.
 */
export function bindScript(redis: Redis, script: LuaScript): ScriptCall {
  const commands = redis as unknown as CommandTable;
  if (typeof commands[script.name] !== 'function') {
    redis.defineCommand(script.name, { numberOfKeys: script.keys, lua: script.lua });
  }
  const command = commands[script.name]!;
  return (keys, args) => {
    if (keys.length !== script.keys) {
      throw new Error(`script ${script.name} takes ${script.keys} keys, got ${keys.length}`);
    }
    return command.call(redis, ...keys, ...args);
  };
}
