import { type ServiceConfig, type ServiceName, StarError } from '@star/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Registry } from 'prom-client';
import { createLogger, defaultInstanceId, type Logger } from '../logging/logger.js';
import { mountErrorHandling } from './errors.js';
import { type HealthCheck, mountHealth } from './health.js';
import { createMetricsRegistry, mountMetrics } from './metrics.js';

export interface StarServiceParams {
  service: ServiceName;
  config: ServiceConfig;
  /** Router limits: the gateway carries keys of up to 1 KiB (3 KiB percent-encoded) in paths. */
  http?: { maxParamLength?: number };
  /** For tests: where log lines go (stdout otherwise). */
  logDestination?: import('pino').DestinationStream;
}

/**
 * The skeleton every Star process runs on: one fastify server with `/health`, `/metrics`, typed
 * error replies and a graceful shutdown that stops accepting, lets in-flight requests finish (up
 * to `shutdownTimeoutMs`), then runs the service's own shutdown steps in reverse order.
 */
export class StarService {
  readonly service: ServiceName;
  readonly config: ServiceConfig;
  readonly instanceId: string;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly app: FastifyInstance;
  readonly #checks = new Map<string, HealthCheck>();
  readonly #shutdownSteps: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  readonly #startedAt = Date.now();
  #stopping: Promise<void> | undefined;

  constructor(params: StarServiceParams) {
    this.service = params.service;
    this.config = params.config;
    this.instanceId = params.config.instanceId ?? defaultInstanceId(params.service);
    this.logger = createLogger({
      service: params.service,
      instanceId: this.instanceId,
      level: params.config.logLevel,
      ...(params.logDestination ? { destination: params.logDestination } : {}),
    });
    this.metrics = createMetricsRegistry({ service: params.service, instance: this.instanceId });
    this.app = Fastify({
      loggerInstance: this.logger as FastifyBaseLogger,
      // Per-request log lines would dominate a data store's logs; latency goes to /metrics instead.
      logController: new LogController({ disableRequestLogging: true }),
      return503OnClosing: true,
      ...(params.http?.maxParamLength === undefined
        ? {}
        : { routerOptions: { maxParamLength: params.http.maxParamLength } }),
      forceCloseConnections: 'idle',
    });
    // While draining, answer with `Connection: close` so keep-alive sockets end with their last response.
    this.app.addHook('onSend', async (_request, reply, payload) => {
      if (this.#stopping !== undefined) reply.header('connection', 'close');
      return payload;
    });
    mountErrorHandling(this.app);
    mountHealth(
      this.app,
      { service: this.service, instance: this.instanceId, startedAt: this.#startedAt },
      this.#checks,
    );
    mountMetrics(this.app, this.metrics);
  }

  addHealthCheck(name: string, check: HealthCheck): this {
    this.#checks.set(name, check);
    return this;
  }

  /** Registers a step to run at shutdown once HTTP has drained (close Redis, flush storage...). */
  onShutdown(name: string, run: () => Promise<unknown> | unknown): this {
    this.#shutdownSteps.push({ name, run });
    return this;
  }

  /** Listens on the configured host and port; returns the bound address (port 0 picks one). */
  async start(): Promise<{ host: string; port: number; url: string }> {
    await this.app.listen({ host: this.config.host, port: this.config.port });
    const address = this.app.server.address();
    if (address === null || typeof address === 'string')
      throw new StarError('Internal', 'server has no TCP address');
    const url = `http://${this.config.host}:${address.port}`;
    this.logger.info({ url, port: address.port }, `${this.service} listening`);
    return { host: this.config.host, port: address.port, url };
  }

  /** Drains and stops; safe to call more than once. */
  stop(reason = 'stop requested'): Promise<void> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down: draining in-flight requests');
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.app.close().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) {
      this.logger.warn({ timeoutMs: this.config.shutdownTimeoutMs }, 'drain timed out; closing connections');
      this.app.server.closeAllConnections();
    }
    for (const step of [...this.#shutdownSteps].reverse()) {
      try {
        await step.run();
      } catch (error) {
        this.logger.warn({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    this.logger.info('shutdown complete');
  }

  /** SIGTERM/SIGINT drain and exit 0; a second signal exits at once with 1. */
  installSignalHandlers(): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        this.logger.warn({ signal }, 'second signal: exiting without draining');
        process.exit(1);
      }
      signalled = true;
      this.stop(`received ${signal}`).then(
        () => process.exit(0),
        (error: unknown) => {
          this.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}
