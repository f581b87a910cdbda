export interface ErrorReply {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A JSON call with an optional bearer key; the status, headers and parsed body, whatever the status. */
export async function call<T = ErrorReply>(
  url: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; authorization?: string } = {},
): Promise<{ status: number; headers: Headers; body: T; text: string }> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: T;
  try {
    body = (text === '' ? undefined : JSON.parse(text)) as T;
  } catch {
    body = text as T;
  }
  return { status: response.status, headers: response.headers, body, text };
}
