import type { GetResponse, LogEntry, StoredRecord } from '@star/protocol';

/** The record a committed (or visible dirty) put entry stands for. */
export function recordOf(entry: LogEntry): StoredRecord {
  return {
    key: entry.key,
    value: entry.value ?? new Uint8Array(),
    ...(entry.contentType === undefined ? {} : { contentType: entry.contentType }),
    version: entry.seq,
    createdAt: entry.createdAt,
    modifiedAt: entry.modifiedAt,
    modifications: entry.modifications,
  };
}

/** A read's answer: the record, or not found. */
export function found(record: StoredRecord | undefined): GetResponse {
  return record === undefined ? { found: false } : { found: true, ...record };
}
