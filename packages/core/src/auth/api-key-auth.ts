import { timingSafeEqual } from 'node:crypto';
import { type Principal, type Scope, StarError, scopeAllows } from '@star/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { type ApiKeyStore, sha256 } from './api-key-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request; undefined when auth is enforced and no valid key came with it. */
    principal: Principal | undefined;
  }
}

export interface ApiKeyAuthOptions {
  store: ApiKeyStore;
  /** STAR_ADMIN_KEY: the bootstrap key with every scope. Empty turns auth off (dev clusters). */
  adminKey?: string;
}

export const BOOTSTRAP_PRINCIPAL: Principal = Object.freeze({
  keyId: 'bootstrap',
  scopes: ['*'] satisfies Scope[],
});
/** What every request is when auth is off: all scopes, so a bare dev cluster works unconfigured. */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  keyId: 'anonymous',
  scopes: ['*'] satisfies Scope[],
});

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Resolves `Authorization: Bearer <key>` into `request.principal` on every request of the scope it
 * is registered in (fastify-plugin: the parent's, so routes registered beside it see it). It never
 * rejects by itself: routes say what they need with `requireScope` / `requirePrincipal`, and
 * `/health` and `/metrics` need nothing.
 */
export const apiKeyAuth = fastifyPlugin(
  async (app: FastifyInstance, options: ApiKeyAuthOptions) => {
    const { store } = options;
    const adminKey = options.adminKey ?? '';
    app.decorateRequest('principal', undefined);
    if (adminKey === '') {
      app.log.warn(
        'AUTH DISABLED: set STAR_ADMIN_KEY: every request is served as an anonymous principal with every scope',
      );
      app.addHook('onRequest', async (request) => {
        request.principal = ANONYMOUS_PRINCIPAL;
      });
      return;
    }
    // Compared as hashes: equal lengths for timingSafeEqual, and no timing hint about the key's length.
    const adminKeyHash = sha256(adminKey);
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (header === undefined) return;
      const key = BEARER.exec(header)?.[1];
      if (key === undefined) return;
      request.principal = timingSafeEqual(sha256(key), adminKeyHash)
        ? BOOTSTRAP_PRINCIPAL
        : await store.verify(key);
    });
  },
  { name: 'star-api-key-auth', fastify: '5.x' },
);

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A hook (use it as `onRequest` when the scope follows from the URL, so no body is read for a
 * stranger; `preHandler` when it needs the parsed body) answering 401 with `WWW-Authenticate: Bearer`
 * without a valid key, and 403 naming the missing scope when the key's scopes do not cover `needed`.
 */
export function requireScope(needed: (request: FastifyRequest) => Scope): Hook {
  return async (request, reply) => {
    const principal = authenticated(request, reply);
    const scope = needed(request);
    if (scopeAllows(principal.scopes, scope)) return;
    reply.header('www-authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
    throw new StarError('Forbidden', `this API key lacks scope ${scope}`, { scope });
  };
}

/** A hook that only needs a valid key, whatever its scopes (401 otherwise). */
export function requirePrincipal(): Hook {
  return async (request, reply) => {
    authenticated(request, reply);
  };
}

function authenticated(request: FastifyRequest, reply: FastifyReply): Principal {
  if (request.principal !== undefined) return request.principal;
  reply.header('www-authenticate', 'Bearer');
  throw new StarError(
    'Unauthorized',
    request.headers.authorization === undefined
      ? 'an API key is required: send Authorization: Bearer <key>'
      : 'the API key is invalid or revoked',
  );
}
