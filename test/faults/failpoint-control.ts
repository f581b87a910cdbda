import { FailpointRoutes } from '@star/protocol';
import type { RunningService } from '@star/testkit';

/**
 * Arms and disarms failpoints on a running service through its internal route
 * (`PUT|DELETE /internal/failpoints/<name[@tag]>`, cluster secret as bearer token). The target is
 * `name` or `name@tag` (`manager.before-configure@n3`); the action is the route's text body
 * (`1*exit`, `error(Unavailable)`, `sleep(300)`, `pause`).
 */
export class FailpointControl {
  readonly #secret: string;

  constructor(clusterSecret: string) {
    if (clusterSecret === '') throw new Error('failpoints need a cluster secret');
    this.#secret = clusterSecret;
  }

  async arm(service: RunningService, target: string, action: string): Promise<void> {
    await this.#call(service, 'PUT', target, action);
  }

  /** Disarms `target`; a process already gone (the point fired `exit`) counts as disarmed. */
  async disarm(service: RunningService, target: string): Promise<void> {
    if (!service.process.isRunning()) return;
    await this.#call(service, 'DELETE', target);
  }

  /** What the service has armed now: `{ "<name[@tag]>": spec }`. */
  async list(service: RunningService): Promise<Record<string, unknown>> {
    const response = await fetch(`${service.url}${FailpointRoutes.prefix}`, {
      headers: { authorization: `Bearer ${this.#secret}` },
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) throw new Error(`GET failpoints: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { failpoints: Record<string, unknown> }).failpoints;
  }

  async #call(service: RunningService, method: 'PUT' | 'DELETE', target: string, body?: string) {
    const response = await fetch(`${service.url}${FailpointRoutes.prefix}/${encodeURIComponent(target)}`, {
      method,
      headers: {
        authorization: `Bearer ${this.#secret}`,
        ...(body === undefined ? {} : { 'content-type': 'text/plain' }),
      },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) {
      throw new Error(`${method} failpoint ${target}: ${response.status} ${await response.text()}`);
    }
  }
}
