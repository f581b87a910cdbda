#!/usr/bin/env node
// Test-only wiring: a gateway process with just the auth parts (registerAuth) and probe routes
// guarded the way the KV routes are (requireNamespaceScope), so auth is tested in a real process
// before apps/gateway/src/main.ts wires the KV API. Plain JS: node runs it as is, no build step.
import { runService } from '@star/core';
import { registerAuth, requireNamespaceScope } from '../../../apps/gateway/dist/auth/index.js';

await runService({
  service: 'gateway',
  wire: async ({ service, redis, config }) => {
    await registerAuth(service.app, { redis, adminKey: config.adminKey });
    const answer = async (request) => ({ ns: request.params.ns, by: request.principal?.keyId });
    service.app.get('/v1/probe/:ns', { onRequest: requireNamespaceScope('read') }, answer);
    service.app.put('/v1/probe/:ns', { onRequest: requireNamespaceScope('write') }, answer);
    service.app.post(
      '/v1/probe/:ns/batch',
      { preHandler: requireNamespaceScope((request) => (request.body?.writes ? 'write' : 'read')) },
      answer,
    );
  },
});
