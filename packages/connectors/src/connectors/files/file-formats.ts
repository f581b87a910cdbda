import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { Column, ColumnStatistics, ColumnType, Row } from '../../model/table.js';
import { inferTextType, jsonValueType, parseText, widen } from './value-inference.js';

export type FileFormat = 'csv' | 'ndjson' | 'parquet';

export const FORMAT_BY_EXTENSION: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.parquet': 'parquet',
};

export interface FormatOptions {
  csvDelimiter: string;
  /** Rows read from the first file of a table to infer CSV and NDJSON column types. */
  inferenceRows: number;
}

/** The columns a data file holds (partition columns come from its path, not from here). */
export async function readFileColumns(
  path: string,
  format: FileFormat,
  options: FormatOptions,
): Promise<Column[]> {
  switch (format) {
    case 'csv':
      return csvColumns(path, options);
    case 'ndjson':
      return ndjsonColumns(path, options);
    case 'parquet':
      return parquetColumns(await parquetMetadataAsync(await asyncBufferFromFile(path)));
  }
}

/** Streams a file's rows with only `columns` (typed per `schema`); a parquet file decodes only those columns. */
export async function* readFileRows(
  path: string,
  format: FileFormat,
  columns: Column[],
  options: FormatOptions,
): AsyncGenerator<Row> {
  switch (format) {
    case 'csv':
      yield* csvRows(path, columns, options);
      return;
    case 'ndjson':
      yield* ndjsonRows(path, columns);
      return;
    case 'parquet':
      yield* parquetRows(path, columns);
      return;
  }
}

async function csvHeaderAndSample(
  path: string,
  options: FormatOptions,
): Promise<{ header: string[]; rows: string[][] }> {
  const parser = createReadStream(path).pipe(
    parse({ delimiter: options.csvDelimiter, relax_column_count: true }),
  );
  let header: string[] | undefined;
  const rows: string[][] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) header = record;
      else rows.push(record);
      if (rows.length >= options.inferenceRows) break;
    }
  } finally {
    parser.destroy();
  }
  return { header: header ?? [], rows };
}

async function csvColumns(path: string, options: FormatOptions): Promise<Column[]> {
  const { header, rows } = await csvHeaderAndSample(path, options);
  return header.map((name, index) => ({
    name,
    type: inferTextType(rows.map((row) => row[index] ?? '')),
    sourceType: 'csv',
    nullable: true,
  }));
}

async function* csvRows(path: string, columns: Column[], options: FormatOptions): AsyncGenerator<Row> {
  const parser = createReadStream(path).pipe(
    parse({ delimiter: options.csvDelimiter, relax_column_count: true }),
  );
  let positions: { column: Column; index: number }[] | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!positions) {
        positions = columns.map((column) => ({ column, index: record.indexOf(column.name) }));
        continue;
      }
      const row: Row = {};
      for (const { column, index } of positions)
        row[column.name] = index < 0 ? null : parseText(record[index] ?? '', column.type);
      yield row;
    }
  } finally {
    parser.destroy();
  }
}

async function ndjsonColumns(path: string, options: FormatOptions): Promise<Column[]> {
  const types = new Map<string, ColumnType | undefined>();
  let count = 0;
  for await (const record of ndjsonRecords(path)) {
    for (const [name, value] of Object.entries(record))
      types.set(name, widen(types.get(name), jsonValueType(value)));
    if (++count >= options.inferenceRows) break;
  }
  return [...types].map(([name, type]) => ({
    name,
    type: type ?? 'string',
    sourceType: 'json',
    nullable: true,
  }));
}

async function* ndjsonRecords(path: string): AsyncGenerator<Record<string, unknown>> {
  const stream = createReadStream(path);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        throw new Error(`${path}:${lineNumber}: not a JSON object`);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new Error(`${path}:${lineNumber}: not a JSON object`);
      }
      yield record as Record<string, unknown>;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

async function* ndjsonRows(path: string, columns: Column[]): AsyncGenerator<Row> {
  for await (const record of ndjsonRecords(path)) {
    const row: Row = {};
    for (const column of columns) {
      const value = record[column.name];
      row[column.name] =
        value === undefined
          ? null
          : column.type === 'timestamp' && typeof value === 'string'
            ? parseText(value, 'timestamp')
            : value;
    }
    yield row;
  }
}

/** Parquet physical and logical types to the framework's. */
export function parquetColumnType(element: SchemaElement): ColumnType {
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  if (logical === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS')
    return 'timestamp';
  if (logical === 'DATE' || converted === 'DATE') return 'date';
  if (logical === 'DECIMAL' || converted === 'DECIMAL') return 'float';
  if (logical === 'STRING' || converted === 'UTF8' || logical === 'ENUM' || logical === 'UUID')
    return 'string';
  if (logical === 'JSON' || converted === 'JSON') return 'json';
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
    case 'DOUBLE':
      return 'float';
    default:
      return 'bytes';
  }
}

function parquetColumns(metadata: FileMetaData): Column[] {
  const [root, ...elements] = metadata.schema;
  const columns: Column[] = [];
  // Only top-level fields are columns; nested groups are read as json.
  let index = 0;
  for (let child = 0; child < (root?.num_children ?? 0); child++) {
    const element = elements[index]!;
    columns.push({
      name: element.name,
      type: element.num_children ? 'json' : parquetColumnType(element),
      sourceType: element.logical_type?.type ?? element.converted_type ?? element.type ?? 'GROUP',
      nullable: element.repetition_type !== 'REQUIRED',
    });
    index += 1 + descendants(elements, index);
  }
  return columns;
}

function descendants(elements: SchemaElement[], index: number): number {
  let count = 0;
  for (let child = 0; child < (elements[index]?.num_children ?? 0); child++) {
    const position = index + 1 + count;
    count += 1 + descendants(elements, position);
  }
  return count;
}

/** Reads one row group at a time, decoding only the requested columns. */
async function* parquetRows(path: string, columns: Column[]): AsyncGenerator<Row> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows =
      columns.length === 0
        ? Array.from({ length: rowEnd - rowStart }, () => ({}))
        : await parquetReadObjects({
            file,
            metadata,
            columns: columns.map((c) => c.name),
            rowStart,
            rowEnd,
            compressors,
          });
    for (const raw of rows) {
      const row: Row = {};
      for (const column of columns) row[column.name] = parquetValue((raw as Row)[column.name], column.type);
      yield row;
    }
    rowStart = rowEnd;
  }
}

export function parquetValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** Row count and per-column null count, min and max from a parquet footer, without reading data. */
export async function parquetFileStatistics(
  path: string,
  columns: Column[],
): Promise<{ rowCount: number; columns: Record<string, ColumnStatistics> }> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const stats: Record<string, ColumnStatistics> = {};
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const name = chunk.meta_data?.path_in_schema[0];
      const column = columns.find((candidate) => candidate.name === name);
      const source = chunk.meta_data?.statistics;
      if (!column || !source) continue;
      stats[column.name] ??= {};
      const target = stats[column.name]!;
      if (source.null_count !== undefined)
        target.nullCount = (target.nullCount ?? 0) + Number(source.null_count);
      const min = parquetValue(source.min_value ?? source.min, column.type);
      const max = parquetValue(source.max_value ?? source.max, column.type);
      if (min !== null && (target.min === undefined || (min as never) < (target.min as never)))
        target.min = min as never;
      if (max !== null && (target.max === undefined || (max as never) > (target.max as never)))
        target.max = max as never;
    }
  }
  return { rowCount: Number(metadata.num_rows), columns: stats };
}
