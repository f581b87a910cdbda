export { type CheckOptions, type CheckResult, checkHistory, type KeyFailure, type Verdict } from './check.js';
export { describeOperation, formatCheckResult } from './format.js';
export {
  type CasInput,
  type CasOperation,
  type CasOutput,
  type ClientId,
  type DeleteInput,
  type DeleteOperation,
  type DeleteOutput,
  type FailOutput,
  HistoryFormatError,
  type Operation,
  type OperationInputs,
  type OperationOf,
  type OperationOutputs,
  type OperationType,
  OperationTypes,
  type Outcome,
  type ReadInput,
  type ReadOperation,
  type ReadOutput,
  validateOperation,
  type WriteInput,
  type WriteOperation,
  type WriteOutput,
} from './history.js';
export { historyToJsonLines, parseHistoryJsonLines } from './json-lines.js';
export { HistoryRecorder, type HistoryRecorderOptions, type OperationHandle } from './recorder.js';
export type { RegisterModelOptions } from './register-model.js';
export {
  type SearchModel,
  type SearchOperation,
  type SearchOptions,
  type SearchResult,
  searchLinearization,
} from './search.js';
