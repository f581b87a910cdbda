import { HistoryFormatError, type Operation, validateOperation } from './history.js';

/** One JSON record per operation, one per line (each line ends with `\n`). */
export function historyToJsonLines(ops: readonly Operation[]): string {
  let text = '';
  for (const op of ops) text += `${JSON.stringify(op)}\n`;
  return text;
}

/**
 * Parses a history written as JSON lines (blank lines are skipped). Throws `HistoryFormatError`
 * naming the line of the first malformed record.
 */
export function parseHistoryJsonLines(text: string): Operation[] {
  const ops: Operation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new HistoryFormatError(`line ${i + 1}: not JSON (${(error as Error).message})`);
    }
    try {
      ops.push(validateOperation(record));
    } catch (error) {
      if (error instanceof HistoryFormatError)
        throw new HistoryFormatError(`line ${i + 1}: ${error.message}`);
      throw error;
    }
  }
  return ops;
}
