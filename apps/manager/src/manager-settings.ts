import { type Static, Type } from '@sinclair/typebox';

/** The manager's own settings, read from `STAR_*` like every service setting. */
export const ManagerSettings = Type.Object({
  /** Identity in leader election; defaults to the instance id. */
  managerId: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._:-]+$' })),
  /** URL other managers and clients are redirected to; defaults to the bound address. */
  advertiseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** The manager leader's lease; a leader that cannot renew it stops acting before it can pass on. */
  managerLeaseMs: Type.Integer({ minimum: 300, default: 3_000 }),
  /** The nodes' read lease (STAR_LEASE_MS of the nodes): a new leader waits it out before reconfiguring. */
  nodeLeaseMs: Type.Integer({ minimum: 100, default: 3_000 }),
  /** Wait after a node's lease key expired before the node counts as dead. */
  deadMarginMs: Type.Integer({ minimum: 0, default: 500 }),
  /** Period of the membership and failure checks; when unset, the runtime setting `membershipCheckMs`. */
  checkEveryMs: Type.Optional(Type.Integer({ minimum: 20 })),
});
export type ManagerSettings = Static<typeof ManagerSettings>;
