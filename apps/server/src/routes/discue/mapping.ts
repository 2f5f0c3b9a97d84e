import type { z } from '@hono/zod-openapi';
import {
  type Access,
  type ApiKey,
  type Err,
  fail,
  type Grant,
  grant,
  normalizeGrants,
  replaceVisibleGrants,
} from '@keyplane/core';
import {
  DISCUE_RESOURCES,
  type DiscueApiKey,
  type DiscueScope,
  type DiscueScopeRequest,
  PROTECTED_RESOURCES,
} from './schemas.js';

type Scope = z.output<typeof DiscueScope>;
type DiscueResource = (typeof DISCUE_RESOURCES)[number];

/** discue's `write` on keyplane's own key resource means all three changing actions. */
const API_KEY_WRITE_ACTIONS = ['create', 'update', 'delete'] as const;

const isDiscueResource = (resource: string): resource is DiscueResource =>
  (DISCUE_RESOURCES as readonly string[]).includes(resource);

/** Without scopes, discue grants a permissive default: everything but the protected resources. */
const DEFAULT_GRANTS: readonly Grant[] = DISCUE_RESOURCES.filter(
  (resource) => !PROTECTED_RESOURCES.includes(resource),
).flatMap((resource) => [grant(resource, 'read'), grant(resource, 'write')]);

/** Grants discue can express: reads and writes on its resources (keyplane's key actions aside). */
const isVisibleToDiscue = (held: Grant): boolean =>
  isDiscueResource(held.resource) &&
  (held.action === 'read' || held.action === 'write' || (held.resource === 'api_keys' && held.action !== 'verify'));

/** discue scopes → grants, refusing the scopes discue forbids granting. */
export function grantsFromScopes(scopes: z.output<typeof DiscueScopeRequest>[] | undefined): Grant[] | Err {
  if (scopes === undefined) return [...DEFAULT_GRANTS];
  const issues = scopes.flatMap((scope, index) =>
    PROTECTED_RESOURCES.includes(scope.resource)
      ? [
          {
            location: 'body' as const,
            path: ['scopes', index, 'resource'],
            message: `Scopes on ${scope.resource} cannot be granted through the API.`,
            code: 'protected_scope',
          },
        ]
      : [],
  );
  if (issues.length > 0) return fail('invalid', 'Protected scopes cannot be granted.', { issues });
  return normalizeGrants(scopes.map((scope) => grant(scope.resource, scope.access, scope.targets ?? ['*'])));
}

/** A discue update replaces the scopes discue can see, and keeps what other dialects granted. */
export const replaceScopes =
  (grants: readonly Grant[]) =>
  (current: Access): Access =>
    replaceVisibleGrants(current, isVisibleToDiscue, grants);

/** keyplane access → discue scopes: what discue can express of it. */
export function scopesFromAccess(access: Access): Scope[] {
  if (!access.restricted) {
    return DISCUE_RESOURCES.flatMap((resource) => [
      { resource, access: 'read' as const, targets: ['*'] },
      { resource, access: 'write' as const, targets: ['*'] },
    ]);
  }
  const scopes: Scope[] = [];
  for (const held of access.grants) {
    if (!isDiscueResource(held.resource)) continue;
    if (held.action === 'read' || (held.action === 'write' && held.resource !== 'api_keys')) {
      scopes.push({ resource: held.resource, access: held.action, targets: [...held.targets] });
    }
  }
  const keyWrites = API_KEY_WRITE_ACTIONS.map((action) =>
    access.grants.find((held) => held.resource === 'api_keys' && held.action === action),
  );
  if (keyWrites.every((held) => held?.targets.includes('*'))) {
    scopes.push({ resource: 'api_keys', access: 'write', targets: ['*'] });
  }
  return scopes;
}

export function toDiscueApiKey(key: ApiKey): z.output<typeof DiscueApiKey> {
  return {
    id: key.id,
    name: key.name,
    created_at: key.createdAt.getTime(),
    updated_at: key.updatedAt.getTime(),
    ...(key.lastUsedAt ? { last_used_at: key.lastUsedAt.getTime() } : {}),
    key: key.hint,
    status: key.status,
    scopes: scopesFromAccess(key.access),
    ...(key.expiresAt ? { expires_at: key.expiresAt.getTime() } : {}),
  };
}

export const selfLink = (href: string) => ({ self: { href } });

/** discue's epoch milliseconds → a date; null clears, undefined leaves as is. */
export const dateFromMillis = (millis: number | null | undefined): Date | null | undefined =>
  millis === undefined ? undefined : millis === null ? null : new Date(millis);
