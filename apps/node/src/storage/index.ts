export { prefixEnd } from './key-range.js';
export { schemaVersion } from './schema.js';
export { ShardDirectory, type ShardDirectoryOptions, shardFileName } from './shard-directory.js';
export {
  defaultCacheKiB,
  LogTrimmedError,
  openShardStore,
  type ScanOptions,
  ShardStore,
  type ShardStoreOptions,
  type TrimOptions,
} from './shard-store.js';
