import { type Static, Type } from '@sinclair/typebox';
import type { StoredRecord } from '@star/protocol';
import type { Column } from '../../model/table.js';

/**
 * The `star` connector (Star namespaces as tables) — INTERFACE ONLY. Its implementation needs the
 * gateway's KV scan API and is left to the gateway's owner: implement `StarScanSource` over
 * packages/client, then a `Connector` that maps each namespace to a table with `STAR_COLUMNS` and
 * pushes key predicates into scans with `starKeyRange` (see docs/connectors.md, "star").
 */

/** One record as a scan returns it: the protocol's StoredRecord (design §2). */
export type StarRecord = StoredRecord;

/** A key range, the unit a Star scan can narrow by: `[start, end)` and/or a prefix. */
export interface StarKeyRange {
  prefix?: string;
  /** Inclusive. */
  start?: string;
  /** Exclusive. */
  end?: string;
}

/** What the connector needs from the KV layer; the gateway implements it with its shard-aware client. */
export interface StarScanSource {
  listNamespaces(): Promise<{ name: string; shards: number; replicationFactor: number }[]>;
  /**
   * Streams the live records of a namespace within the range, in key order within each shard (the
   * connector does not assume a global order unless `ordered` says so).
   */
  scan(
    params: StarKeyRange & { namespace: string; limit?: number; signal?: AbortSignal },
  ): AsyncIterable<StarRecord>;
  /** True when `scan` merges shards into global key order (then ORDER BY key and LIMIT can be pushed). */
  readonly ordered: boolean;
  /** Key counts per namespace if the nodes can say cheaply (statistics); undefined otherwise. */
  countKeys?(namespace: string): Promise<number | undefined>;
  health(): Promise<void>;
}

/** Catalog properties of a `star` catalog: which namespaces to expose and how to show values. */
export const StarProperties = Type.Object({
  /** Only namespaces whose name starts with this are tables (empty: all). */
  namespacePrefix: Type.String({ default: '' }),
  /** How `value` appears in rows: UTF-8 text, base64, or parsed JSON. */
  valueEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64'), Type.Literal('json')], {
    default: 'utf8',
  }),
});
export type StarProperties = Static<typeof StarProperties>;

/** The one database of a star catalog; each namespace is a table in it. */
export const STAR_DATABASE = 'namespaces';

export const STAR_COLUMNS: Column[] = [
  { name: 'key', type: 'string', sourceType: 'key', nullable: false },
  { name: 'value', type: 'string', sourceType: 'bytes', nullable: false },
  { name: 'version', type: 'integer', sourceType: 'uint64', nullable: false },
  { name: 'createdAt', type: 'timestamp', sourceType: 'epoch-ms', nullable: false },
  { name: 'modifiedAt', type: 'timestamp', sourceType: 'epoch-ms', nullable: false },
  { name: 'modifications', type: 'integer', sourceType: 'uint64', nullable: false },
];
