export { adminKeysRoutes } from './admin-keys-routes.js';
export { requireNamespaceScope } from './namespace-access.js';
export { registerAuth } from './register-auth.js';
