import { type Static, Type } from '@sinclair/typebox';

/**
 * Settings every service reads from its environment. Each property `fooBar` is read from
 * `STAR_FOO_BAR` (see `envVarName` in @star/core's config loader).
 */
export const ServiceConfig = Type.Object({
  /** Control-plane Redis. */
  redisUrl: Type.String({ pattern: '^rediss?://[^\\s]+$', default: 'redis://127.0.0.1:6379' }),
  /**
   * Redis Sentinels to ask for the control plane's primary, `host:port,host:port`; when set, the
   * services follow the primary across failovers and `redisUrl` gives only the password (if any).
   */
  redisSentinels: Type.String({ pattern: '^([^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*)?$', default: '' }),
  /** The Sentinel master name of the control plane (used with `redisSentinels`). */
  redisMaster: Type.String({ pattern: '^[A-Za-z0-9._-]+$', default: 'star' }),
  /**
   * Replicas that must hold a journal append or a fencing-token increment (Redis `WAIT`) before it
   * counts as done; -1 picks 1 with sentinels and 0 with a plain URL. Fewer acks within
   * `redisReplicaAckTimeoutMs` fail the write as retryable, and nothing is acted on.
   */
  redisReplicaAcks: Type.Integer({ minimum: -1, maximum: 16, default: -1 }),
  /** How long a write waits for its replica acks. */
  redisReplicaAckTimeoutMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 1_000 }),
  /** HTTP listen address and port; port 0 picks a free one (the bound port is logged). */
  host: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** HTTP listen port (also the internal link port); 0 picks a free one. */
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /** Stable identity of this process; defaults to `<service>-<hostname>-<pid>`. */
  instanceId: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:-]+$' })),
  /** Lowest pino log level written (JSON lines on stdout). */
  logLevel: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  /** Shared secret that internal links (chain, manager) present; empty disables the check. */
  clusterSecret: Type.String({ default: '' }),
  /**
   * Bootstrap API key with every scope (`*`). Setting it turns API-key auth on for the public and
   * admin APIs; empty leaves them open (a bare dev cluster), with a warning at start. At least 16
   * printable characters, no spaces (it travels in an `Authorization` header).
   */
  adminKey: Type.String({ pattern: '^([\\x21-\\x7e]{16,})?$', default: '' }),
  /**
   * Failpoints armed at start, for fault tests: `name[@tag]=action;...` (see `FailpointNames`).
   * Empty in production; a bad list stops the process at start.
   */
  failpoints: Type.String({ default: '' }),
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  shutdownTimeoutMs: Type.Integer({ minimum: 0, default: 10_000 }),
});
export type ServiceConfig = Static<typeof ServiceConfig>;
