import {
  type FailpointName,
  type FailpointSpec,
  type FailpointTarget,
  isErrorCode,
  parseFailpointList,
  StarError,
} from '@star/protocol';

interface Armed {
  spec: FailpointSpec;
  /** Resolves the hits waiting on a `pause` when the point is disarmed or re-armed. */
  release: () => void;
  released: Promise<void>;
}

function keyOf(target: FailpointTarget): string {
  return target.tag === undefined ? target.name : `${target.name}@${target.tag}`;
}

function arm(spec: FailpointSpec): Armed {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { spec, release, released };
}

/**
 * The process's failpoints (see `FailpointNames` in @star/protocol). A point costs one branch while
 * nothing is armed: `failpoint()` returns undefined at once, and callers write
 * `await failpoint('name')`, or, on a path that must stay synchronous, check `failpoints.armed`.
 */
export class Failpoints {
  readonly #armed = new Map<string, Armed>();
  /** Called once per fired action (the service logs it). */
  onFire: ((point: string, spec: FailpointSpec) => void) | undefined;

  /** True while any point is armed: the one branch a point costs when off. */
  get armed(): boolean {
    return this.#armed.size > 0;
  }

  set(target: FailpointTarget, spec: FailpointSpec): void {
    const key = keyOf(target);
    this.#armed.get(key)?.release();
    if (spec.action.kind === 'off') this.#armed.delete(key);
    else this.#armed.set(key, arm(spec));
  }

  clear(target: FailpointTarget): void {
    this.set(target, { action: { kind: 'off' } });
  }

  clearAll(): void {
    for (const armed of this.#armed.values()) armed.release();
    this.#armed.clear();
  }

  /** Arms every point of a `STAR_FAILPOINTS` list; throws (naming the bad item) before arming any. */
  load(list: string): void {
    for (const { target, spec } of parseFailpointList(list)) this.set(target, spec);
  }

  list(): Record<string, FailpointSpec> {
    return Object.fromEntries([...this.#armed].map(([key, armed]) => [key, armed.spec]));
  }

  /**
   * Hits point `name` (narrowed by `tag` when one was armed for it): undefined when nothing fires,
   * else a promise that settles when the action is done (sleep, pause) or rejects (error).
   */
  hit(name: FailpointName, tag?: string): Promise<void> | undefined {
    if (this.#armed.size === 0) return undefined;
    const key = tag !== undefined && this.#armed.has(`${name}@${tag}`) ? `${name}@${tag}` : name;
    const armed = this.#armed.get(key);
    if (armed === undefined) return undefined;
    const { spec } = armed;
    if (spec.count !== undefined) {
      if (spec.count <= 1) this.#armed.delete(key);
      else spec.count -= 1;
    }
    this.onFire?.(tag === undefined ? name : `${name}@${tag}`, spec);
    const { action } = spec;
    switch (action.kind) {
      case 'exit':
        // Synchronous write: a SIGKILL leaves no chance to flush an asynchronous logger.
        process.stderr.write(`failpoint ${key}: exit\n`);
        process.kill(process.pid, 'SIGKILL');
        return new Promise<void>(() => {});
      case 'sleep':
        return new Promise<void>((resolve) => setTimeout(resolve, action.ms));
      case 'pause':
        return armed.released;
      case 'error':
        return Promise.reject(
          new StarError(isErrorCode(action.code) ? action.code : 'Unavailable', `failpoint ${key}`),
        );
      default:
        return undefined;
    }
  }
}

/** The process-wide registry every service arms from `STAR_FAILPOINTS` and the internal route. */
export const failpoints = new Failpoints();

/** Hits a point of the process-wide registry (see `Failpoints.hit`). */
export function failpoint(name: FailpointName, tag?: string | number): Promise<void> | undefined {
  return failpoints.armed ? failpoints.hit(name, tag === undefined ? undefined : String(tag)) : undefined;
}
