#!/usr/bin/env node
// star-gateway: the public REST + WebSocket API over a Star cluster.
import { runService } from '@star/core';
import { wireGateway } from './gateway-runtime.js';
import { GatewaySettings } from './gateway-settings.js';

await runService({
  service: 'gateway',
  settings: GatewaySettings,
  // Keys of up to 1 KiB travel as one percent-encoded path segment (up to 3 bytes per byte).
  http: { maxParamLength: 4 * 1024 },
  wire: (context) => wireGateway(context),
});
