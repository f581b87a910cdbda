/**
 * Exit codes every `star` command that calls a service uses, so scripts can trust them:
 * 0 done; 1 refused (bad input, 401, 403, 404, 412: a 4xx, or a usage error commander reports);
 * 2 the service could not be reached, had no leader, or failed (5xx).
 */
export const ExitCode = { ok: 0, refused: 1, unavailable: 2 } as const;

/** A refusal or failure the CLI prints and turns into its exit code. */
export class ServiceCallError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the service could not be reached. */
    readonly status: number | undefined,
    /** The error body's `code` (`NotFound`, `PreconditionFailed`...), when the service sent one. */
    readonly code?: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return this.status !== undefined && this.status < 500 && this.status !== 421
      ? ExitCode.refused
      : ExitCode.unavailable;
  }
}

/** Where a service is and the API key to present. */
export interface ServiceEndpoint {
  /** What to call it in messages: `gateway`, `manager`. */
  name: string;
  url: string;
  key: string | undefined;
}

export interface CallInit {
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Statuses that are answers, not errors (e.g. 404 for a probe). */
  accept?: number[];
}

/** `--key` first, then `$STAR_API_KEY`; an empty key means none. */
export function apiKeyFrom(
  key: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const chosen = key ?? env.STAR_API_KEY;
  return chosen === '' ? undefined : chosen;
}

export function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * One HTTP call with the bearer key. Resolves with the response when it is 2xx (or accepted);
 * throws a ServiceCallError naming the method, path, status and the service's error code and
 * message otherwise, or when the service cannot be reached.
 */
export async function callService(
  endpoint: ServiceEndpoint,
  method: string,
  path: string,
  init: CallInit = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (endpoint.key !== undefined) headers.authorization = `Bearer ${endpoint.key}`;
  let response: Response;
  try {
    response = await fetch(`${endpoint.url}${path}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new ServiceCallError(`cannot reach the ${endpoint.name} at ${endpoint.url} (${cause})`, undefined);
  }
  if (response.ok || init.accept?.includes(response.status)) return response;
  throw await refusal(method, path, response);
}

/** The error a non-2xx answer becomes: `PUT /x failed with 412 PreconditionFailed: ...`. */
export async function refusal(method: string, path: string, response: Response): Promise<ServiceCallError> {
  const text = await response.text();
  let reason = text;
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text) as { code?: string; message?: string };
    code = parsed.code;
    reason = `${parsed.code ?? response.status}: ${parsed.message ?? text}`;
  } catch {
    // Not JSON (a proxy's page, say): show it as it came.
  }
  return new ServiceCallError(
    `${method} ${path} failed with ${response.status} ${reason}`,
    response.status,
    code,
  );
}

/** A JSON call: the body sent as JSON, the answer parsed (undefined when empty). */
export async function callJson<T>(
  endpoint: ServiceEndpoint,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await callService(endpoint, method, path, {
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/**
 * Runs one command's calls, printing a failure to stderr as `<command>: <message>` and setting the
 * exit code; anything that is not a ServiceCallError is a bug and is thrown.
 */
export async function runCommand(command: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
    process.exitCode = ExitCode.ok;
  } catch (error) {
    if (!(error instanceof ServiceCallError)) throw error;
    process.stderr.write(`${command}: ${error.message}\n`);
    process.exitCode = error.exitCode;
  }
}

/** Rows as left-aligned columns separated by two spaces, the first row being the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
