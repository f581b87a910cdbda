// The manager's image format and the journal, for checkpointers that build images: one definition
// of the metadata fold, shared rather than copied (package export `@star/manager/images`).
export { Journal, ManagerKeys, nextStreamId } from '../journal/index.js';
export type { MetadataEntry } from '../metadata/journal-entries.js';
export { canonicalJson, type MetadataSnapshot, MetadataState } from '../metadata/metadata-state.js';
export { compareIds } from '../metadata/stream-ids.js';
export {
  type ImageWriteOptions,
  type LoadedImage,
  ManagerImages,
  managerImageName,
} from './manager-images.js';
