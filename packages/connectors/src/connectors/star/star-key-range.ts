import { conjuncts, type Predicate } from '../../predicate/predicate.js';
import type { StarKeyRange } from './star-scan-source.js';

/**
 * The key range a filter allows, from its top-level `key` terms (prefix, eq, ge, gt, lt, le); the
 * terms it used are returned so the connector pushes exactly those. Any other term stays with the
 * gateway. `gt k` becomes `start = k + '\0'`, the next key after k in byte order.
 */
export function starKeyRange(filter: Predicate | undefined): {
  range: StarKeyRange;
  used: Predicate[];
  empty: boolean;
} {
  const range: StarKeyRange = {};
  const used: Predicate[] = [];
  const raiseStart = (start: string) => {
    if (range.start === undefined || start > range.start) range.start = start;
  };
  const lowerEnd = (end: string) => {
    if (range.end === undefined || end < range.end) range.end = end;
  };
  for (const term of conjuncts(filter)) {
    if (!('column' in term) || term.column !== 'key') continue;
    switch (term.op) {
      case 'prefix':
        if (
          range.prefix !== undefined &&
          !term.value.startsWith(range.prefix) &&
          !range.prefix.startsWith(term.value)
        ) {
          return { range, used: [...used, term], empty: true };
        }
        if (range.prefix === undefined || term.value.length > range.prefix.length) range.prefix = term.value;
        break;
      case 'eq':
        if (typeof term.value !== 'string') continue;
        raiseStart(term.value);
        lowerEnd(`${term.value}\0`);
        break;
      case 'ge':
      case 'gt':
        if (typeof term.value !== 'string') continue;
        raiseStart(term.op === 'ge' ? term.value : `${term.value}\0`);
        break;
      case 'lt':
      case 'le':
        if (typeof term.value !== 'string') continue;
        lowerEnd(term.op === 'lt' ? term.value : `${term.value}\0`);
        break;
      default:
        continue;
    }
    used.push(term);
  }
  const empty = range.start !== undefined && range.end !== undefined && range.start >= range.end;
  return { range, used, empty };
}
