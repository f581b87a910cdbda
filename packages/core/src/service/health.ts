import type { FastifyInstance } from 'fastify';

/** A named probe; it throws (or rejects) when unhealthy and may return details to show. */
export type HealthCheck = () =>
  | Promise<Record<string, unknown> | undefined>
  | Record<string, unknown>
  | undefined;

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  service: string;
  instance: string;
  uptimeSeconds: number;
  checks: Record<string, { ok: boolean; error?: string } & Record<string, unknown>>;
}

async function runCheck(check: HealthCheck, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      Promise.resolve().then(check),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`check took longer than ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ...(details ?? {}) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /health`: 200 when every check passes, 503 with the failing checks named otherwise. */
export function mountHealth(
  app: FastifyInstance,
  identity: { service: string; instance: string; startedAt: number },
  checks: ReadonlyMap<string, HealthCheck>,
  timeoutMs = 2_000,
): void {
  app.get('/health', { logLevel: 'warn' }, async (_request, reply) => {
    const entries = await Promise.all(
      [...checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
    );
    const report: HealthReport = {
      status: entries.every(([, result]) => result.ok) ? 'ok' : 'unhealthy',
      service: identity.service,
      instance: identity.instance,
      uptimeSeconds: Math.round((Date.now() - identity.startedAt) / 1000),
      checks: Object.fromEntries(entries),
    };
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });
}
