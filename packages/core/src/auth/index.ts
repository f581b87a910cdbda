export {
  ANONYMOUS_PRINCIPAL,
  type ApiKeyAuthOptions,
  apiKeyAuth,
  BOOTSTRAP_PRINCIPAL,
  requirePrincipal,
  requireScope,
} from './api-key-auth.js';
export { ApiKeyStore } from './api-key-store.js';
