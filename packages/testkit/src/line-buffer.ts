export type LineListener = (line: string) => void;

/** Keeps the last `capacity` lines and tells listeners about each new one. */
export class LineBuffer {
  readonly #lines: string[] = [];
  readonly #listeners = new Set<LineListener>();

  constructor(readonly capacity = 200) {}

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.capacity) this.#lines.shift();
    for (const listener of this.#listeners) listener(line);
  }

  lines(): readonly string[] {
    return this.#lines;
  }

  text(): string {
    return this.#lines.join('\n');
  }

  /** Returns a function that removes the listener. */
  onLine(listener: LineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
