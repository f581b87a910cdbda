export { AssignmentFollower } from './assignment-follower.js';
export { ConditionFailed, InvalidRequest, NotFound, toClientError, Unavailable } from './errors.js';
export { type ListOptions, type ListPage, listPage, scanKeys } from './key-scan.js';
export { type KeyEvent, KeyWatch, type WatchOptions } from './key-watch.js';
export { ShardMap } from './shard-map.js';
export {
  type BatchOp,
  type BatchOutcome,
  type DeleteOptions,
  type KeyOptions,
  type PutOptions,
  StarClient,
  type StarClientOptions,
  type StarRecord,
} from './star-client.js';
