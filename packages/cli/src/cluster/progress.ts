/**
 * Progress of a cluster command on stderr (stdout stays for results scripts read): one line per
 * step, with the time since the command began.
 */
export class Progress {
  readonly #began = Date.now();
  constructor(readonly quiet = false) {}

  step(message: string): void {
    if (this.quiet) return;
    const seconds = ((Date.now() - this.#began) / 1000).toFixed(1).padStart(5);
    process.stderr.write(`[${seconds}s] ${message}\n`);
  }
}
