/** The default shape of a journal entry; the manager's own entry union narrows it. */
export interface JournalEntry {
  type: string;
  data: unknown;
  at: number;
}

/** One entry as read back from the stream. */
export interface JournalRecord<T> {
  /** The stream id: entries are ordered by it. */
  id: string;
  /** The fencing token of the leader that wrote it. */
  token: number;
  entry: T;
}

/** What ioredis returns per stream entry: `[id, [field, value, field, value, ...]]`. */
export type StreamEntry = [id: string, fields: string[]];

export function encodeEntry(entry: { type: string }): string {
  return JSON.stringify(entry);
}

export function decodeRecord<T>([id, fields]: StreamEntry): JournalRecord<T> {
  let entry: string | undefined;
  let token: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') entry = fields[i + 1];
    else if (fields[i] === 't') token = fields[i + 1];
  }
  if (entry === undefined || token === undefined)
    throw new Error(`journal entry ${id} lacks its e or t field`);
  return { id, token: Number(token), entry: parseEntry(entry) as T };
}

/**
 * An entry's JSON; text that is not JSON becomes `{ type: 'malformed' }`, which no fold accepts:
 * the reader's schema check logs and skips it instead of the tail crashing on it.
 */
function parseEntry(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { type: 'malformed', data: text.slice(0, 200) };
  }
}
