import type { preHandlerAsyncHookHandler } from 'fastify';

/** What a KV route needs of its caller: `read:<ns>` or `write:<ns>` (the auth plugin decides). */
export type KvAccess = 'read' | 'write';

/** Returns the preHandler that checks a caller's access to the request's namespace. */
export type Authorize = (access: KvAccess) => preHandlerAsyncHookHandler;

/** With auth off every caller may do everything. */
export const allowAll: Authorize = () => async () => {};
