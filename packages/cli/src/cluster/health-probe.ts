import { pingRedis } from '@star/testkit';
import type { ServiceRecord } from './cluster-file.js';

export interface HealthProbe {
  healthy: boolean;
  /** The service's own uptime, when its /health says. */
  uptimeSeconds?: number;
  problem?: string;
}

/** `GET /health` of a Star service, or PING for Redis; never throws. */
export async function probeHealth(service: ServiceRecord, timeoutMs = 2_000): Promise<HealthProbe> {
  if (service.kind === 'redis' || service.kind === 'replica' || service.kind === 'sentinel') {
    return (await pingRedis(service.port, timeoutMs))
      ? { healthy: true }
      : { healthy: false, problem: 'no PONG' };
  }
  try {
    const response = await fetch(`${service.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as {
      uptimeSeconds?: number;
      checks?: Record<string, { ok: boolean; error?: string }>;
    };
    const failing = Object.entries(body.checks ?? {})
      .filter(([, check]) => !check.ok)
      .map(([name, check]) => `${name}: ${check.error ?? 'failing'}`);
    return {
      healthy: response.status === 200,
      ...(body.uptimeSeconds === undefined ? {} : { uptimeSeconds: body.uptimeSeconds }),
      ...(response.status === 200 ? {} : { problem: failing.join('; ') || `HTTP ${response.status}` }),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return { healthy: false, problem: cause };
  }
}
