import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { StarError } from '@star/protocol';
import type { Scalar } from '../../model/table.js';
import { type FileFormat, FORMAT_BY_EXTENSION } from './file-formats.js';
import { inferTextType, parseText } from './value-inference.js';

/** One data file of a table, with the partition values its path gives (`year=2024/month=3/part-0.parquet`). */
export interface DataFile {
  path: string;
  format: FileFormat;
  /** Partition column to raw text from the path. */
  partitionText: Record<string, string>;
}

export interface TableFiles {
  files: DataFile[];
  /** Partition columns in path order, with types inferred from all their values. */
  partitionColumns: { name: string; type: ReturnType<typeof inferTextType> }[];
}

/** Hive writes this for a null partition value. */
export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

function isHidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/**
 * The directory layout of a files catalog: `<root>/<database>/<table>` where a table is either one
 * data file (`people.csv`, name without extension) or a directory of data files, possibly under
 * hive-style `key=value/` directories, which become partition columns.
 */
export class FilesLayout {
  constructor(private readonly root: string) {}

  async databases(): Promise<string[]> {
    const entries = await this.#entries(this.root, 'catalog root');
    return entries
      .filter((entry) => entry.isDirectory() && !isHidden(entry.name))
      .map((entry) => entry.name)
      .sort();
  }

  async tables(database: string): Promise<string[]> {
    const entries = await this.#entries(await this.#databaseDir(database), `database ${database}`);
    const names = new Set<string>();
    for (const entry of entries) {
      if (isHidden(entry.name)) continue;
      if (entry.isDirectory()) names.add(entry.name);
      else if (entry.isFile() && FORMAT_BY_EXTENSION[extname(entry.name).toLowerCase()]) {
        names.add(entry.name.slice(0, -extname(entry.name).length));
      }
    }
    return [...names].sort();
  }

  /** Every data file of a table, sorted by path, with its partition values. */
  async tableFiles(database: string, table: string): Promise<TableFiles> {
    const dir = await this.#databaseDir(database);
    if (table.includes('/') || table.includes(sep) || table.startsWith('.'))
      throw this.#noTable(database, table);
    const entries = await this.#entries(dir, `database ${database}`);
    const single = entries.find(
      (entry) =>
        entry.isFile() &&
        entry.name.slice(0, -extname(entry.name).length) === table &&
        FORMAT_BY_EXTENSION[extname(entry.name).toLowerCase()],
    );
    if (single) {
      return {
        files: [
          {
            path: join(dir, single.name),
            format: FORMAT_BY_EXTENSION[extname(single.name).toLowerCase()]!,
            partitionText: {},
          },
        ],
        partitionColumns: [],
      };
    }
    if (!entries.some((entry) => entry.isDirectory() && entry.name === table))
      throw this.#noTable(database, table);
    const tableDir = join(dir, table);
    const files: DataFile[] = [];
    await this.#walk(tableDir, tableDir, files);
    files.sort((a, b) => (a.path < b.path ? -1 : 1));
    const order: string[] = [];
    const texts = new Map<string, string[]>();
    for (const file of files) {
      for (const [key, text] of Object.entries(file.partitionText)) {
        if (!texts.has(key)) {
          order.push(key);
          texts.set(key, []);
        }
        texts.get(key)!.push(text === HIVE_NULL ? '' : text);
      }
    }
    return {
      files,
      partitionColumns: order.map((name) => ({ name, type: inferTextType(texts.get(name)!) })),
    };
  }

  async #walk(tableDir: string, dir: string, into: DataFile[]): Promise<void> {
    for (const entry of await this.#entries(dir, 'table directory')) {
      if (isHidden(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await this.#walk(tableDir, path, into);
      else if (entry.isFile()) {
        const format = FORMAT_BY_EXTENSION[extname(entry.name).toLowerCase()];
        if (!format) continue;
        const partitionText: Record<string, string> = {};
        for (const segment of relative(tableDir, dir).split(sep)) {
          const equals = segment.indexOf('=');
          if (equals > 0)
            partitionText[decodeURIComponent(segment.slice(0, equals))] = decodeURIComponent(
              segment.slice(equals + 1),
            );
        }
        into.push({ path, format, partitionText });
      }
    }
  }

  async #databaseDir(database: string): Promise<string> {
    if (database.includes('/') || database.includes(sep) || database.startsWith('.') || database === '') {
      throw new StarError('NotFound', `no database "${database}"`);
    }
    const dir = join(this.root, database);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new StarError('NotFound', `no database "${database}"`);
    return dir;
  }

  async #entries(dir: string, what: string): Promise<Dirent[]> {
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new StarError('BadGateway', `cannot list ${what}: ${(error as Error).message}`);
    }
  }

  #noTable(database: string, table: string): StarError {
    return new StarError('NotFound', `no table ${database}.${table}`);
  }
}

/** A file's partition values typed as their columns. */
export function partitionValues(
  file: DataFile,
  columns: TableFiles['partitionColumns'],
): Record<string, Scalar> {
  const values: Record<string, Scalar> = {};
  for (const { name, type } of columns) {
    const text = file.partitionText[name];
    values[name] = text === undefined || text === HIVE_NULL ? null : (parseText(text, type) as Scalar);
  }
  return values;
}
