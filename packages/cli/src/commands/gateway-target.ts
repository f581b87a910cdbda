import type { Command } from 'commander';
import { apiKeyFrom, type ServiceEndpoint, trimUrl } from './service-call.js';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** Where the gateway is and the key to present: flags first, then STAR_GATEWAY_URL / STAR_API_KEY. */
export interface GatewayTarget {
  gateway?: string;
  key?: string;
}

export function gatewayEndpoint(
  target: GatewayTarget,
  env: NodeJS.ProcessEnv = process.env,
): ServiceEndpoint {
  return {
    name: 'gateway',
    url: trimUrl(target.gateway ?? env.STAR_GATEWAY_URL ?? DEFAULT_GATEWAY_URL),
    key: apiKeyFrom(target.key, env),
  };
}

/** The options every gateway command takes (`star keys ...`, `star kv ...`). */
export function withGatewayTarget(command: Command, keyHelp: string): Command {
  return command
    .option('--gateway <url>', `gateway URL (default $STAR_GATEWAY_URL or ${DEFAULT_GATEWAY_URL})`)
    .option('--key <key>', `${keyHelp} (default $STAR_API_KEY)`);
}
