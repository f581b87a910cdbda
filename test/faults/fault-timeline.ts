import { performance } from 'node:perf_hooks';

/** One thing the harness did or saw, on the history's clock (`performance.now()`). */
export interface TimelineEvent {
  at: number;
  wallClock: string;
  nemesis: string;
  /** `inject`, `heal`, `healed`, `check`, `error`... */
  phase: string;
  detail: string;
}

/** A window during which a fault held, for the outage checks. */
export interface FaultWindow {
  nemesis: string;
  from: number;
  to: number;
}

/** The fault timeline of a run: what was injected and healed when, and how long healing took. */
export class FaultTimeline {
  readonly events: TimelineEvent[] = [];
  readonly windows: FaultWindow[] = [];
  /** Each nemesis run, by name. */
  readonly injected = new Map<string, number>();

  record(nemesis: string, phase: string, detail = ''): number {
    const at = performance.now();
    this.events.push({ at, wallClock: new Date().toISOString(), nemesis, phase, detail });
    if (phase === 'inject') this.injected.set(nemesis, (this.injected.get(nemesis) ?? 0) + 1);
    return at;
  }

  window(nemesis: string, from: number, to: number): void {
    this.windows.push({ nemesis, from, to });
  }

  toJsonLines(): string {
    return (
      this.events.map((event) => JSON.stringify(event)).join('\n') + (this.events.length > 0 ? '\n' : '')
    );
  }
}
