import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Follows a log file as it grows (like `tail -f`), calling `onLine` for each complete line from
 * `offset` on. Polls the size, which also works for files another process appends to. A file
 * that shrinks (truncated) is read again from its start.
 */
export class LogFollower {
  #offset: number;
  #partial = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    readonly onLine: (line: string) => void,
    offset = 0,
  ) {
    this.#offset = offset;
  }

  /** The file's current size, to follow from its end. */
  static sizeOf(file: string): number {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  }

  start(intervalMs = 200): this {
    this.poll();
    this.#timer = setInterval(() => this.poll(), intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.poll();
    if (this.#partial !== '') this.onLine(this.#partial);
    this.#partial = '';
  }

  /** Reads what was appended since the last poll. */
  poll(): void {
    const size = LogFollower.sizeOf(this.file);
    if (size < this.#offset) this.#offset = 0;
    if (size === this.#offset) return;
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(size - this.#offset);
      const read = readSync(fd, buffer, 0, buffer.length, this.#offset);
      this.#offset += read;
      const lines = (this.#partial + buffer.subarray(0, read).toString('utf8')).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    } finally {
      closeSync(fd);
    }
  }
}

/** The last `count` lines of a log file (none when it does not exist). */
export function tailLines(file: string, count: number): string[] {
  const lines: string[] = [];
  const follower = new LogFollower(file, (line) => {
    lines.push(line);
    if (lines.length > count) lines.shift();
  });
  follower.stop();
  return lines;
}
