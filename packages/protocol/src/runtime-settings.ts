import { type Static, Type } from '@sinclair/typebox';

/**
 * Cluster-wide settings that change at run time (DESIGN §4 config sync): kept in one Redis hash,
 * each field JSON, changed through the manager's API and reloaded by every service on a pub/sub
 * notice. Deployment settings (ports, data dirs) stay in the environment.
 */
const fields = {
  /** Move replicas to balance the cluster when nodes join or drain. */
  balance: Type.Boolean(),
  /** How often the manager checks membership and node leases. */
  membershipCheckMs: Type.Integer({ minimum: 20, maximum: 60_000 }),
  /** Deadline of requests that services send each other. */
  requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
  /** How long a retried write's result is remembered for exactly-once answers. */
  requestResultRetentionMs: Type.Integer({ minimum: 1_000, maximum: 86_400_000 }),
};

export const RuntimeSettings = Type.Object(fields, { additionalProperties: false });
export type RuntimeSettings = Static<typeof RuntimeSettings>;

export const runtimeSettingDefaults: RuntimeSettings = {
  balance: true,
  membershipCheckMs: 250,
  requestTimeoutMs: 10_000,
  requestResultRetentionMs: 600_000,
};

/** A partial update of the runtime settings, as the manager API takes it (no defaults: absent stays). */
export const RuntimeSettingsPatch = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
});
export type RuntimeSettingsPatch = Static<typeof RuntimeSettingsPatch>;
