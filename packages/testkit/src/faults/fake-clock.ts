import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's `faketime` package puts the library, per architecture. */
const libraryPaths = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
];

function findLibrary(): string | undefined {
  return libraryPaths.find((path) => existsSync(path));
}

/**
 * libfaketime, installed with apt when missing and this process is root. When it cannot be had:
 * under `CI=true` this throws (never a silent skip); otherwise it says so loudly on stderr and
 * returns undefined, and the caller runs nothing that needs it.
 */
export function ensureLibfaketime(what: string): string | undefined {
  let library = findLibrary();
  if (library === undefined && process.getuid?.() === 0) {
    const install = () =>
      execFileSync('apt-get', ['install', '-y', '-q', 'faketime'], { stdio: 'ignore', timeout: 180_000 });
    try {
      install();
    } catch {
      try {
        // The package lists may be missing (a fresh image): fetch them once, then try again.
        execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore', timeout: 180_000 });
        install();
      } catch {
        // Reported below as missing.
      }
    }
    library = findLibrary();
  }
  if (library !== undefined) return library;
  const message = `${what} needs libfaketime (Debian package faketime: apt-get install faketime)`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: failing instead of skipping)`);
  console.error(`\n*** NOT RUN: ${message} ***\n`);
  return undefined;
}

/**
 * A wall clock the test moves, for processes started with `env()`: libfaketime preloaded, reading
 * its offset from a timestamp file on every clock call (`FAKETIME_NO_CACHE`), so `step()` takes
 * effect mid-run. `fakeMonotonic: false` (the default) keeps CLOCK_MONOTONIC real: leases and
 * timeouts, which must run on it, are what the test checks.
 */
export class FakeClock {
  readonly #dir: string;
  readonly #file: string;
  readonly #library: string;
  readonly #fakeMonotonic: boolean;
  #offsetSeconds = 0;

  constructor(library: string, options: { fakeMonotonic?: boolean } = {}) {
    this.#library = library;
    this.#fakeMonotonic = options.fakeMonotonic ?? false;
    this.#dir = mkdtempSync(join(tmpdir(), 'star-faketime-'));
    this.#file = join(this.#dir, 'offset');
    this.#write('+0');
  }

  /** Environment for a process whose wall clock this moves. */
  env(): Record<string, string> {
    return {
      LD_PRELOAD: this.#library,
      FAKETIME_TIMESTAMP_FILE: this.#file,
      FAKETIME_NO_CACHE: '1',
      ...(this.#fakeMonotonic ? {} : { FAKETIME_DONT_FAKE_MONOTONIC: '1' }),
    };
  }

  get offsetSeconds(): number {
    return this.#offsetSeconds;
  }

  /**
   * Sets the offset from real time (whole seconds; negative goes back). Only offsets: libfaketime's
   * speed factor (`x2`) counts from the process's start and left later offsets wrong when tried.
   */
  set(offsetSeconds: number): void {
    this.#offsetSeconds = Math.round(offsetSeconds);
    const sign = this.#offsetSeconds < 0 ? '-' : '+';
    this.#write(`${sign}${Math.abs(this.#offsetSeconds)}`);
  }

  #write(spec: string): void {
    writeFileSync(this.#file, `${spec}\n`);
  }

  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
