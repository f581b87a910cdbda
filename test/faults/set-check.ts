/**
 * The checker of the set workload: clients insert unique keys under a prefix and list the prefix
 * while they do. Inserts never delete and every key is written once, so the set of keys only grows;
 * that makes these rules exact, with no search:
 *
 * - **complete**: a listing contains every insert acknowledged before the listing began (the final
 *   listing, begun after the workload stopped, must hold every acknowledged insert);
 * - **monotonic**: a listing contains every key a listing that ended before it began showed (once
 *   a key was seen, its insert took effect: a later listing missing it went back in time);
 * - **no phantom**: a listed key is one a client attempted, invoked before the listing ended, and
 *   not one whose insert definitely failed;
 * - **no duplicate** within a listing (pages must neither repeat nor skip keys).
 *
 * Why "began" and "ended": a listing is not atomic across shards or pages, so a key inserted while
 * it runs may or may not be in it; only inserts finished before it started are owed.
 */

/** One insert: `ok` acknowledged, `fail` definitely no effect, `info` unknown (may appear or not). */
export interface SetInsert {
  key: string;
  invokedAt: number;
  completedAt?: number;
  outcome: 'ok' | 'fail' | 'info';
}

/** One listing of the prefix; `keys` undefined when it failed (it then owes nothing). */
export interface SetListing {
  id: number;
  via: string;
  startedAt: number;
  endedAt: number;
  keys?: string[];
  final?: boolean;
}

export interface SetViolation {
  rule: 'complete' | 'monotonic' | 'phantom' | 'duplicate';
  listing: number;
  key: string;
  detail: string;
}

export interface SetCheckResult {
  valid: boolean;
  inserts: { ok: number; fail: number; info: number };
  listings: { ok: number; failed: number; final: number };
  /** Keys in the final listing(s). */
  finalKeys: number;
  /** Violations, at most `maxReported` of them (the count is complete). */
  violations: SetViolation[];
  violationCount: number;
}

const maxReported = 20;

export function checkSet(inserts: SetInsert[], listings: SetListing[]): SetCheckResult {
  const byKey = new Map(inserts.map((insert) => [insert.key, insert]));
  const violations: SetViolation[] = [];
  let violationCount = 0;
  const report = (violation: SetViolation) => {
    violationCount++;
    if (violations.length < maxReported) violations.push(violation);
  };
  const acked = inserts
    .filter((i) => i.outcome === 'ok' && i.completedAt !== undefined)
    .sort((a, b) => a.completedAt! - b.completedAt!);
  const done = listings.filter((l) => l.keys !== undefined).sort((a, b) => a.startedAt - b.startedAt);
  const byEnd = [...done].sort((a, b) => a.endedAt - b.endedAt);

  // Keys owed by listings in start order: grows monotonically, so both pointers only advance.
  const owed = new Map<string, string>();
  let nextAck = 0;
  let nextEnded = 0;
  for (const listing of done) {
    const keys = listing.keys!;
    const present = new Set<string>();
    for (const key of keys) {
      if (present.has(key)) report({ rule: 'duplicate', listing: listing.id, key, detail: 'listed twice' });
      present.add(key);
      phantom(byKey.get(key), listing, key, report);
    }
    while (nextAck < acked.length && acked[nextAck]!.completedAt! < listing.startedAt) {
      const insert = acked[nextAck++]!;
      owed.set(insert.key, `acknowledged at ${Math.round(insert.completedAt!)} ms`);
    }
    while (nextEnded < byEnd.length && byEnd[nextEnded]!.endedAt < listing.startedAt) {
      const earlier = byEnd[nextEnded++]!;
      for (const key of earlier.keys!) {
        if (!owed.has(key))
          owed.set(key, `seen by listing ${earlier.id} (ended ${Math.round(earlier.endedAt)} ms)`);
      }
    }
    for (const [key, why] of owed) {
      if (present.has(key)) continue;
      const rule = why.startsWith('seen') ? 'monotonic' : 'complete';
      report({ rule, listing: listing.id, key, detail: `missing from ${describe(listing)}; ${why}` });
    }
  }
  const finals = done.filter((l) => l.final);
  return {
    valid: violationCount === 0,
    inserts: {
      ok: inserts.filter((i) => i.outcome === 'ok').length,
      fail: inserts.filter((i) => i.outcome === 'fail').length,
      info: inserts.filter((i) => i.outcome === 'info').length,
    },
    listings: {
      ok: done.length,
      failed: listings.length - done.length,
      final: finals.length,
    },
    finalKeys: Math.max(0, ...finals.map((l) => l.keys!.length)),
    violations,
    violationCount,
  };
}

function phantom(
  insert: SetInsert | undefined,
  listing: SetListing,
  key: string,
  report: (violation: SetViolation) => void,
): void {
  if (insert === undefined) {
    report({ rule: 'phantom', listing: listing.id, key, detail: 'no client ever inserted it' });
  } else if (insert.invokedAt > listing.endedAt) {
    report({ rule: 'phantom', listing: listing.id, key, detail: `listed before its insert was invoked` });
  } else if (insert.outcome === 'fail') {
    report({ rule: 'phantom', listing: listing.id, key, detail: 'its insert definitely failed' });
  }
}

function describe(listing: SetListing): string {
  const range = `${Math.round(listing.startedAt)}–${Math.round(listing.endedAt)} ms`;
  return `${listing.final ? 'final ' : ''}listing ${listing.id} via ${listing.via} [${range}]`;
}

export function formatSetCheck(result: SetCheckResult): string {
  const { inserts, listings } = result;
  const head =
    `set workload: ${result.valid ? 'complete' : `${result.violationCount} violations`}; ` +
    `inserts ok ${inserts.ok}, fail ${inserts.fail}, info ${inserts.info}; ` +
    `listings ${listings.ok} (failed ${listings.failed}), final ${listings.final} with ${result.finalKeys} keys`;
  const lines = result.violations.map((v) => `  - ${v.rule} ${v.key}: ${v.detail}`);
  return [head, ...lines].join('\n');
}
