export { FencedError, isFencedError } from './fenced-error.js';
export { Journal, type JournalParams, nextStreamId } from './journal.js';
export { ManagerKeys } from './journal-keys.js';
export type { JournalEntry, JournalRecord } from './journal-record.js';
