import { type Static, Type } from '@sinclair/typebox';

/**
 * What an API key may do:
 * - `*`: everything (the bootstrap admin key has it);
 * - `admin`: the admin APIs (API keys, the manager's cluster changes), not the data;
 * - `read:<ns>` / `write:<ns>`: reading / writing the keys of namespace `<ns>`; `write` implies `read`;
 * - `read:*` / `write:*`: the same for every namespace.
 */
export type Scope = '*' | 'admin' | `read:${string}` | `write:${string}`;

/** A namespace name (as in cluster.ts's `Namespace`) or `*` for all of them. */
const SCOPE_NAMESPACE = '(\\*|[A-Za-z0-9][A-Za-z0-9._-]{0,127})';
export const SCOPE_PATTERN = `^(\\*|admin|(read|write):${SCOPE_NAMESPACE})$`;
const scopeRegExp = new RegExp(SCOPE_PATTERN);

export const ScopeSchema = Type.Unsafe<Scope>(
  Type.String({
    pattern: SCOPE_PATTERN,
    maxLength: 134,
    description: '`*`, `admin`, `read:<namespace>`, `write:<namespace>`, `read:*` or `write:*`',
  }),
);

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && scopeRegExp.test(value);
}

/** The scope that reading (`read`) or writing (`write`) namespace `namespace` needs. */
export function namespaceScope(access: 'read' | 'write', namespace: string): Scope {
  return `${access}:${namespace}`;
}

/**
 * Whether a key holding `granted` may do what `needed` names. Pure, so the gateway, the manager and
 * the tests agree on one reading of the rules above.
 */
export function scopeAllows(granted: readonly Scope[], needed: Scope): boolean {
  if (granted.includes('*')) return true;
  if (needed === '*' || needed === 'admin') return granted.includes(needed);
  const [neededAccess, neededNamespace] = splitNamespaceScope(needed);
  return granted.some((scope) => {
    if (scope === 'admin' || scope === '*') return scope === '*';
    const [access, namespace] = splitNamespaceScope(scope);
    const accessCovers = access === neededAccess || (access === 'write' && neededAccess === 'read');
    return accessCovers && (namespace === '*' || namespace === neededNamespace);
  });
}

function splitNamespaceScope(scope: `read:${string}` | `write:${string}`): ['read' | 'write', string] {
  const colon = scope.indexOf(':');
  return [scope.slice(0, colon) as 'read' | 'write', scope.slice(colon + 1)];
}

/** Who made a request: the key's id (`bootstrap` for STAR_ADMIN_KEY, `anonymous` when auth is off). */
export interface Principal {
  keyId: string;
  scopes: Scope[];
  /** The key's name, for logs; absent for the bootstrap and anonymous principals. */
  name?: string;
}

export const ApiKeyId = Type.String({ pattern: '^[0-9a-f]{16}$', description: '16 hex digits' });

/** `POST /v1/admin/keys` body. */
export const CreateApiKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'what the key is for; not unique' }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: 64, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type CreateApiKeyRequest = Static<typeof CreateApiKeyRequest>;

/** A key as listed: never its secret nor the secret's hash. */
export const ApiKeyInfo = Type.Object({
  id: ApiKeyId,
  name: Type.String(),
  scopes: Type.Array(ScopeSchema),
  /** ISO-8601 time of creation. */
  createdAt: Type.String({ format: 'date-time' }),
});
export type ApiKeyInfo = Static<typeof ApiKeyInfo>;

/** The answer to a create: the only time the plaintext `key` is ever shown. */
export const CreatedApiKey = Type.Composite([
  ApiKeyInfo,
  Type.Object({ key: Type.String({ description: 'star_<id>_<secret>; shown once, store it now' }) }),
]);
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeyInfo) });
export type ApiKeyList = Static<typeof ApiKeyList>;
