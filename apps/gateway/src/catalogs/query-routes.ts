import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { executeScan, explainScan, parseSelect, planScan, type Row, ScanQuery } from '@star/connectors';
import { StarError } from '@star/protocol';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { CatalogAccess } from './catalog-access.js';
import type { CatalogConnections } from './catalog-connections.js';
import { CatalogParams } from './catalog-schemas.js';

export interface QueryRoutesOptions {
  connections: CatalogConnections;
  access: CatalogAccess;
  jsonMaxRows: number;
  onQuery?: (catalog: string, outcome: 'ok' | 'error') => void;
}

const SqlQuery = Type.Object(
  { sql: Type.String({ minLength: 1, maxLength: 100_000 }) },
  { additionalProperties: false },
);

/** A JSON query or `{ sql }`, checked here (not by the route schema) so a bad one gets a message naming its path. */
function readQuery(body: unknown): { query: ScanQuery; sql?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new StarError(
      'BadRequest',
      'the query must be a JSON object: { "sql": "SELECT ..." } or { "table": ..., "filter": ... }',
    );
  }
  if ('sql' in body) {
    if (!Value.Check(SqlQuery, body))
      throw new StarError('BadRequest', '{ "sql": ... } takes one string and nothing else');
    return { query: parseSelect(body.sql), sql: body.sql };
  }
  if (!Value.Check(ScanQuery, body)) {
    const first = [...Value.Errors(ScanQuery, body)][0];
    throw new StarError('BadRequest', `query ${first?.path || '/'}: ${first?.message ?? 'invalid'}`, {
      path: first?.path,
    });
  }
  return { query: body };
}

/**
 * `POST /v1/catalogs/{catalog}/query`: a scan of one table, negotiated with the catalog's connector.
 * Rows stream as NDJSON (one object per line) unless the client accepts only `application/json`;
 * `?explain=true` returns the plan (what was pushed to the source, what the gateway applies).
 * Errors before the first row get their status; an error mid-stream ends the stream with an
 * `{"error": {...}}` line.
 */
export async function queryRoutes(app: FastifyInstance, options: QueryRoutesOptions): Promise<void> {
  app.post<{ Params: { catalog: string }; Querystring: { explain?: boolean } }>(
    '/v1/catalogs/:catalog/query',
    {
      onRequest: options.access.read,
      schema: {
        summary:
          'Query one table: JSON query or single-table SQL SELECT; NDJSON stream or JSON; ?explain=true',
        params: CatalogParams,
        querystring: Type.Object({ explain: Type.Optional(Type.Boolean()) }),
      },
    },
    async (request, reply) => {
      const catalog = request.params.catalog;
      try {
        const { query, sql } = readQuery(request.body);
        const open = await options.connections.get(catalog);
        const plan = await planScan(open.connector, open.metadata, query);
        if (request.query.explain) {
          return { ...(sql === undefined ? {} : { sql }), ...(await explainScan(open.connector, plan)) };
        }
        const controller = new AbortController();
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) controller.abort();
        });
        const rows = executeScan(open.connector, plan, { signal: controller.signal });
        // Pull the first row before answering, so a source that fails at once gets a proper status.
        const first = await rows.next();
        if (wantsJson(request.headers.accept)) {
          const collected: Row[] = [];
          for (let next = first; !next.done; next = await rows.next()) {
            collected.push(next.value);
            if (collected.length > options.jsonMaxRows) {
              await rows.return(undefined);
              throw new StarError(
                'PayloadTooLarge',
                `more than ${options.jsonMaxRows} rows: add a limit or ask for NDJSON`,
              );
            }
          }
          options.onQuery?.(catalog, 'ok');
          return { columns: plan.outputColumns, rows: collected, rowCount: collected.length };
        }
        reply.type('application/x-ndjson; charset=utf-8');
        return reply.send(
          Readable.from(ndjson(first, rows, request.log, () => options.onQuery?.(catalog, 'ok'))),
        );
      } catch (error) {
        options.onQuery?.(catalog, 'error');
        throw error;
      }
    },
  );
}

function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return /application\/json/i.test(accept) && !/ndjson/i.test(accept);
}

async function* ndjson(
  first: IteratorResult<Row>,
  rows: AsyncGenerator<Row>,
  log: FastifyBaseLogger,
  done: () => void,
): AsyncGenerator<string> {
  try {
    for (let next = first; !next.done; next = await rows.next()) yield `${JSON.stringify(next.value)}\n`;
    done();
  } catch (error) {
    const starError = StarError.from(error);
    log.warn({ code: starError.code, msg: starError.message }, 'query failed mid-stream');
    yield `${JSON.stringify({ error: starError.toBody() })}\n`;
  } finally {
    await rows.return(undefined);
  }
}
