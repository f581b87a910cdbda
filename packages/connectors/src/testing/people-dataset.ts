import type { Predicate } from '../predicate/predicate.js';

/** The table every connector test loads into its source, and the answers worked out in plain code. */
export interface Person {
  id: number;
  name: string;
  city: string | null;
  age: number | null;
  score: number;
  active: boolean;
  joined: string;
}

const cities = ['Paris', 'Lyon', 'paris', null, 'Berlin', 'Bern'];
export const people: Person[] = Array.from({ length: 24 }, (_, index) => {
  const id = index + 1;
  return {
    id,
    name: `${['ann', 'bob', 'Cid', 'dee', 'eve_x', 'f%g'][index % 6]}-${id}`,
    city: cities[index % cities.length] ?? null,
    age: id % 5 === 0 ? null : 18 + ((id * 7) % 40),
    score: Math.round(id * 13.37 * 100) / 100,
    active: id % 3 !== 0,
    joined: new Date(Date.UTC(2024, 0, 1 + id, 12, 30, 0)).toISOString(),
  };
});

export interface FilterCase {
  name: string;
  filter: Predicate;
  /** The rows the filter must select, by plain code with SQL null semantics. */
  expected: (person: Person) => boolean;
}

/** One case per operator and combinator, including null and case-sensitivity edges. */
export const filterCases: FilterCase[] = [
  { name: 'eq', filter: { op: 'eq', column: 'city', value: 'paris' }, expected: (p) => p.city === 'paris' },
  {
    name: 'ne',
    filter: { op: 'ne', column: 'age', value: 25 },
    expected: (p) => p.age !== null && p.age !== 25,
  },
  {
    name: 'lt',
    filter: { op: 'lt', column: 'age', value: 30 },
    expected: (p) => p.age !== null && p.age < 30,
  },
  { name: 'le', filter: { op: 'le', column: 'score', value: 133.7 }, expected: (p) => p.score <= 133.7 },
  { name: 'gt', filter: { op: 'gt', column: 'name', value: 'dee' }, expected: (p) => p.name > 'dee' },
  {
    name: 'ge',
    filter: { op: 'ge', column: 'joined', value: '2024-01-20T12:30:00.000Z' },
    expected: (p) => p.joined >= '2024-01-20T12:30:00.000Z',
  },
  {
    name: 'in',
    filter: { op: 'in', column: 'city', values: ['Paris', 'Bern', null] },
    expected: (p) => p.city === 'Paris' || p.city === 'Bern',
  },
  {
    name: 'prefix',
    filter: { op: 'prefix', column: 'city', value: 'Ber' },
    expected: (p) => p.city?.startsWith('Ber') === true,
  },
  {
    name: 'prefix with LIKE metacharacters',
    filter: { op: 'prefix', column: 'name', value: 'f%' },
    expected: (p) => p.name.startsWith('f%'),
  },
  {
    name: 'like',
    filter: { op: 'like', column: 'name', pattern: 'eve\\_%' },
    expected: (p) => p.name.startsWith('eve_'),
  },
  {
    name: 'like is case-sensitive',
    filter: { op: 'like', column: 'name', pattern: 'c%' },
    expected: () => false,
  },
  { name: 'isNull', filter: { op: 'isNull', column: 'age' }, expected: (p) => p.age === null },
  { name: 'eq boolean', filter: { op: 'eq', column: 'active', value: false }, expected: (p) => !p.active },
  {
    name: 'and',
    filter: {
      op: 'and',
      args: [
        { op: 'eq', column: 'active', value: true },
        { op: 'gt', column: 'age', value: 40 },
      ],
    },
    expected: (p) => p.active && p.age !== null && p.age > 40,
  },
  {
    name: 'or',
    filter: {
      op: 'or',
      args: [
        { op: 'eq', column: 'city', value: 'Lyon' },
        { op: 'lt', column: 'id', value: 3 },
      ],
    },
    expected: (p) => p.city === 'Lyon' || p.id < 3,
  },
  {
    name: 'not',
    filter: { op: 'not', arg: { op: 'eq', column: 'city', value: 'Paris' } },
    expected: (p) => p.city !== null && p.city !== 'Paris',
  },
  {
    name: 'not isNull',
    filter: { op: 'not', arg: { op: 'isNull', column: 'city' } },
    expected: (p) => p.city !== null,
  },
];
