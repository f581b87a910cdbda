import { RuntimeConfig } from '@star/core';
import { RuntimeSettings, RuntimeSettingsPatch, StarError } from '@star/protocol';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { type LeadershipView, leaderOnly } from './leader-guard.js';

/** Runtime settings: read on any manager; changed on the leader, which notifies every service. */
export async function configRoutes(
  app: FastifyInstance,
  options: { redis: Redis; runtime: RuntimeConfig; leadership: LeadershipView },
): Promise<void> {
  const { redis, runtime, leadership } = options;

  app.get('/v1/config', async () => ({ version: runtime.version, settings: runtime.settings }));

  app.put(
    '/v1/config',
    { schema: { body: RuntimeSettingsPatch }, preHandler: leaderOnly(leadership) },
    async (request) => {
      const patch = request.body as Partial<RuntimeSettings>;
      // Fastify's validator strips unknown properties before the handler runs: none may be left.
      if (Object.keys(patch).length === 0) {
        throw new StarError(
          'BadRequest',
          `no known setting in the body; settings are ${Object.keys(RuntimeSettings.properties).join(', ')}`,
        );
      }
      const version = await RuntimeConfig.publish(redis, patch);
      return { version, settings: { ...runtime.settings, ...patch } };
    },
  );
}
