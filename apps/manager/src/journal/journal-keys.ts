/**
 * Redis keys of the manager's control plane (DESIGN §4), in one place. The journal's append script
 * and the leader election's scripts both read the leader record, so they must agree on these.
 */
export const ManagerKeys = {
  /** Stream of metadata entries: field `e` = the entry as JSON, field `t` = the writer's fencing token. */
  journal: 'star:manager:journal',
  /** Fencing token counter: every election win takes the next value with INCR, so tokens only grow. */
  fence: 'star:manager:fence',
  /** The current leader: JSON `{ id, address, token }` with a PX lease. */
  leader: 'star:manager:leader',
  /**
   * Stream id up to which the journal was trimmed (entries at or before it are gone; absent: never
   * trimmed). Only an image covering at least this id can rebuild the state.
   */
  trimmedTo: 'star:manager:journal:trimmed',
} as const;
