/**
 * Failpoints (as etcd's gofail and FoundationDB's BUGGIFY): named points in the services where a
 * test makes the process crash, pause or fail a call at one exact step. Armed by `STAR_FAILPOINTS`
 * (`name=action;name=action`) at start, or at run time through `PUT /internal/failpoints/<name>`,
 * which only accepts the cluster secret. Every point a service may hit is listed here once, so a
 * misspelt name is refused instead of silently never firing.
 */
export const FailpointNames = {
  'manager.after-journal-append':
    'leader: a change is journaled (a reconfiguration, a namespace created or deleted), nothing published yet (tag: failure, restore, trim, move, heads, reconcile, reentry or sync)',
  'manager.before-publish': 'leader: about to publish a journaled chain (config key not written)',
  'manager.after-config-write': 'leader: config key written, no node told yet',
  'manager.before-configure': 'leader: before one configure call (tag: the node id)',
  'manager.after-configure': 'leader: after one configure call was answered (tag: the node id)',
  'manager.journal-tail': 'any manager: before it applies a batch read from the journal tail',
  'node.before-forward': 'node: before it sends an append batch to its successor (tag: the shard)',
  'node.after-append-before-ack': 'node: an append is durable, its answer not sent (tag: the shard)',
  'node.during-snapshot-install': 'node: a snapshot is downloaded, not yet installed (tag: the shard)',
  'node.before-version-answer': 'node: the tail is about to answer a version query (tag: the shard)',
} as const;
export type FailpointName = keyof typeof FailpointNames;

export function isFailpointName(name: string): name is FailpointName {
  return Object.hasOwn(FailpointNames, name);
}

/**
 * What an armed point does when hit:
 * - `exit`: SIGKILL the process (a crash: no shutdown steps, no flushing);
 * - `sleep(ms)`: wait that long, then go on;
 * - `pause`: wait until the point is disarmed or re-armed;
 * - `error` / `error(Code)`: throw a StarError of that code (default `Unavailable`): a failed call;
 * - `off`: disarmed.
 * A `N*` prefix fires the action on the next N hits only (`1*exit`).
 */
export type FailpointAction =
  | { kind: 'exit' }
  | { kind: 'sleep'; ms: number }
  | { kind: 'pause' }
  | { kind: 'error'; code: string }
  | { kind: 'off' };

export interface FailpointSpec {
  action: FailpointAction;
  /** Hits left before the point disarms itself; undefined: every hit. */
  count?: number;
}

/** A point's address: its name, optionally narrowed to one tag (`manager.before-configure@n3`). */
export interface FailpointTarget {
  name: FailpointName;
  tag?: string;
}

const ACTION = /^(?:(\d+)\*)?(exit|sleep|pause|error|off)(?:\(([^)]*)\))?$/;

/** Parses one action (`1*sleep(300)`); throws an Error naming what is wrong. */
export function parseFailpointSpec(text: string): FailpointSpec {
  const match = ACTION.exec(text.trim());
  if (match === null) {
    throw new Error(`failpoint action "${text}" is not one of exit, sleep(ms), pause, error(Code), off`);
  }
  const [, count, kind, arg] = match;
  const spec = (action: FailpointAction): FailpointSpec =>
    count === undefined ? { action } : { action, count: Number(count) };
  switch (kind) {
    case 'sleep': {
      const ms = Number(arg);
      if (!Number.isInteger(ms) || ms < 0)
        throw new Error(`failpoint sleep needs milliseconds, got "${arg}"`);
      return spec({ kind: 'sleep', ms });
    }
    case 'error':
      return spec({ kind: 'error', code: arg === undefined || arg === '' ? 'Unavailable' : arg });
    case 'exit':
      return spec({ kind: 'exit' });
    case 'pause':
      return spec({ kind: 'pause' });
    default:
      return spec({ kind: 'off' });
  }
}

/** Parses a point's address (`name` or `name@tag`); throws on a name no service has. */
export function parseFailpointTarget(text: string): FailpointTarget {
  const at = text.indexOf('@');
  const name = (at < 0 ? text : text.slice(0, at)).trim();
  if (!isFailpointName(name)) {
    throw new Error(`unknown failpoint "${name}" (known: ${Object.keys(FailpointNames).join(', ')})`);
  }
  return at < 0 ? { name } : { name, tag: text.slice(at + 1).trim() };
}

/** Parses `STAR_FAILPOINTS`: `name[@tag]=action` items separated by `;`. */
export function parseFailpointList(text: string): { target: FailpointTarget; spec: FailpointSpec }[] {
  return text
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const eq = item.indexOf('=');
      if (eq < 0) throw new Error(`failpoint "${item}" has no "=action"`);
      return {
        target: parseFailpointTarget(item.slice(0, eq)),
        spec: parseFailpointSpec(item.slice(eq + 1)),
      };
    });
}

/** The internal route's shapes. */
export const FailpointRoutes = {
  /** GET: every armed point; PUT `/<name[@tag]>` with a text body (the action); DELETE `/<name[@tag]>`. */
  prefix: '/internal/failpoints',
} as const;
