/**
 * The history of operations against a store of independent registers (one per key), as the
 * linearizability checker reads it and as the fault suite writes it (one JSON record per line).
 */

/** Who issued an operation; a client runs one operation at a time. */
export type ClientId = number | string;

/**
 * `ok`: completed, output known. `fail`: completed, definitely had no effect. `info`: indeterminate
 * (timed out, connection lost): it may have taken effect at any time after its invocation, or never.
 */
export type Outcome = 'ok' | 'fail' | 'info';

/** Reads take no input; they are recorded with `{}`. */
export type ReadInput = Record<string, never>;
export interface WriteInput {
  value: string;
}
/** A conditional write: on an expected version (the key must exist), or create-only. */
export interface CasInput {
  value: string;
  expectedVersion?: number;
  mustNotExist?: boolean;
}
export interface DeleteInput {
  expectedVersion?: number;
}

export interface ReadOutput {
  /** `null` when the key is absent. */
  value: string | null;
  /** The version read, when the store reports it. */
  version?: number;
}
export interface WriteOutput {
  version: number;
}
export interface CasOutput {
  version: number;
}
/** A delete answers with the version of its tombstone, when the store reports it. */
export interface DeleteOutput {
  version?: number;
}

/** What a failed operation may say about itself. */
export interface FailOutput {
  error?: string;
  /**
   * For `cas` and `delete`: whether the failure was its precondition not holding (the default), which
   * the checker verifies. `false` means it failed for another reason (bad request, not the head...):
   * then it only had no effect, and constrains nothing.
   */
  preconditionFailed?: boolean;
}

export interface OperationInputs {
  read: ReadInput;
  write: WriteInput;
  cas: CasInput;
  delete: DeleteInput;
}

export interface OperationOutputs {
  read: ReadOutput;
  write: WriteOutput;
  cas: CasOutput;
  delete: DeleteOutput;
}

export type OperationType = keyof OperationInputs;

export const OperationTypes: readonly OperationType[] = ['read', 'write', 'cas', 'delete'];

interface OperationBase<T extends OperationType> {
  /** Unique within a history. */
  id: number;
  client: ClientId;
  key: string;
  type: T;
  input: OperationInputs[T];
  /** Monotonic time (`performance.now()`, hrtime...) the client sent the request. */
  invokedAt: number;
}

export type OperationOf<T extends OperationType> =
  | (OperationBase<T> & { outcome: 'ok'; output: OperationOutputs[T]; completedAt: number })
  | (OperationBase<T> & { outcome: 'fail'; output?: FailOutput; completedAt: number })
  /** `completedAt` of an indeterminate operation (when the client gave up) is informative only. */
  | (OperationBase<T> & { outcome: 'info'; output?: undefined; completedAt?: number });

export type Operation = { [T in OperationType]: OperationOf<T> }[OperationType];
export type ReadOperation = OperationOf<'read'>;
export type WriteOperation = OperationOf<'write'>;
export type CasOperation = OperationOf<'cas'>;
export type DeleteOperation = OperationOf<'delete'>;

/** Thrown for a record that is not a well-formed operation. */
export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Versions are the shard's sequence numbers: integers, 0 for a key never written. */
function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkOptional(record: Json, field: string, test: (v: unknown) => boolean, what: string): void {
  if (record[field] !== undefined && !test(record[field])) {
    throw new HistoryFormatError(`${field} must be ${what}, got ${JSON.stringify(record[field])}`);
  }
}

function checkInput(type: OperationType, input: unknown): void {
  if (!isRecord(input)) throw new HistoryFormatError(`input must be an object, got ${JSON.stringify(input)}`);
  if (type === 'write' || type === 'cas') {
    if (typeof input.value !== 'string') throw new HistoryFormatError(`${type} input.value must be a string`);
  }
  if (type === 'cas' || type === 'delete') {
    checkOptional(input, 'expectedVersion', isVersion, 'a version (a non-negative integer)');
  }
  if (type === 'cas') checkOptional(input, 'mustNotExist', (v) => typeof v === 'boolean', 'a boolean');
}

function checkOutput(type: OperationType, outcome: Outcome, output: unknown): void {
  if (outcome === 'info') return;
  if (outcome === 'fail') {
    if (output === undefined) return;
    if (!isRecord(output)) throw new HistoryFormatError('fail output must be an object');
    checkOptional(output, 'error', (v) => typeof v === 'string', 'a string');
    checkOptional(output, 'preconditionFailed', (v) => typeof v === 'boolean', 'a boolean');
    return;
  }
  if (!isRecord(output)) throw new HistoryFormatError(`ok ${type} needs an output object`);
  switch (type) {
    case 'read':
      if (output.value !== null && typeof output.value !== 'string') {
        throw new HistoryFormatError('read output.value must be a string or null');
      }
      checkOptional(output, 'version', isVersion, 'a version (a non-negative integer)');
      return;
    case 'write':
    case 'cas':
      if (!isVersion(output.version)) {
        throw new HistoryFormatError(`ok ${type} output.version must be a version (a non-negative integer)`);
      }
      return;
    case 'delete':
      checkOptional(output, 'version', isVersion, 'a version (a non-negative integer)');
      return;
  }
}

/**
 * Checks that `value` is a well-formed operation record and returns it typed; throws
 * `HistoryFormatError` naming the first problem otherwise.
 */
export function validateOperation(value: unknown): Operation {
  if (!isRecord(value)) throw new HistoryFormatError('an operation must be an object');
  const { id, client, key, type, outcome, invokedAt, completedAt } = value;
  if (!isFiniteNumber(id)) throw new HistoryFormatError(`id must be a number, got ${JSON.stringify(id)}`);
  const where = `operation ${id}`;
  try {
    if (typeof client !== 'number' && typeof client !== 'string') {
      throw new HistoryFormatError('client must be a number or a string');
    }
    if (typeof key !== 'string') throw new HistoryFormatError('key must be a string');
    if (!OperationTypes.includes(type as OperationType)) {
      throw new HistoryFormatError(
        `type must be one of ${OperationTypes.join(', ')}, got ${JSON.stringify(type)}`,
      );
    }
    if (outcome !== 'ok' && outcome !== 'fail' && outcome !== 'info') {
      throw new HistoryFormatError(`outcome must be ok, fail or info, got ${JSON.stringify(outcome)}`);
    }
    if (!isFiniteNumber(invokedAt)) throw new HistoryFormatError('invokedAt must be a number');
    if (outcome === 'info') {
      checkOptional(value, 'completedAt', isFiniteNumber, 'a number');
    } else {
      if (!isFiniteNumber(completedAt))
        throw new HistoryFormatError(`a completed (${outcome}) operation needs completedAt`);
      if (completedAt < invokedAt) throw new HistoryFormatError('completedAt is before invokedAt');
    }
    checkInput(type as OperationType, value.input);
    checkOutput(type as OperationType, outcome, value.output);
  } catch (error) {
    if (error instanceof HistoryFormatError) throw new HistoryFormatError(`${where}: ${error.message}`);
    throw error;
  }
  return value as unknown as Operation;
}
