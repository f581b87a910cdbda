import { hostname } from 'node:os';
import type { ServiceName } from '@star/protocol';
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line: secrets in configs, headers and catalog properties. */
export const redactedPaths = [
  'clusterSecret',
  'adminKey',
  '*.adminKey',
  'config.adminKey',
  '*.clusterSecret',
  'config.clusterSecret',
  'catalogSecretKey',
  '*.catalogSecretKey',
  'config.catalogSecretKey',
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
];

export function defaultInstanceId(service: ServiceName): string {
  return `${service}-${hostname()}-${process.pid}`;
}

/**
 * The one logger factory: JSON lines on stdout, each carrying the service and instance id so a
 * cluster's logs can be merged and still tell who said what.
 */
export function createLogger(params: {
  service: ServiceName;
  instanceId: string;
  level?: LoggerOptions['level'];
  destination?: pino.DestinationStream;
}): Logger {
  const options: LoggerOptions = {
    level: params.level ?? 'info',
    base: { service: params.service, instance: params.instanceId, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return params.destination ? pino(options, params.destination) : pino(options);
}
