import { StarError } from '@star/protocol';

/** Replaces every occurrence of a secret in text, so an error echoed from a source cannot leak it. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) {
    if (secret.length > 0) masked = masked.split(secret).join('***');
  }
  return masked;
}

/**
 * Turns an error from a source into what the API answers: StarErrors pass through, anything else is
 * a 502 carrying the source's message (secrets masked), naming the catalog.
 */
export function sourceError(catalog: string, error: unknown, secrets: readonly string[]): StarError {
  if (error instanceof StarError) return error;
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return new StarError('BadGateway', `catalog ${catalog}: source error: ${maskSecrets(message, secrets)}`, {
    catalog,
    ...(typeof code === 'string' || typeof code === 'number' ? { sourceCode: String(code) } : {}),
  });
}
