export { ManagerKeys } from '@star/protocol';
export { FencedError, isFencedError } from './fenced-error.js';
export { Journal, type JournalParams, nextStreamId } from './journal.js';
export type { JournalEntry, JournalRecord } from './journal-record.js';
