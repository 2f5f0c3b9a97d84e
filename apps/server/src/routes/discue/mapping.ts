import type { z } from '@hono/zod-openapi';
import { type Access, type ApiKey, type Err, fail, type Grant, grant, normalizeGrants } from '@keyplane/core';
import {
  DISCUE_RESOURCES,
  type DiscueApiKey,
  type DiscueScope,
  type DiscueScopeRequest,
  PROTECTED_RESOURCES,
} from './schemas.js';

type Scope = z.output<typeof DiscueScope>;
type ScopeRequest = z.output<typeof DiscueScopeRequest>;
type DiscueResource = (typeof DISCUE_RESOURCES)[number];

/** discue's `write` on keyplane's own key resource means all three changing actions. */
const API_KEY_WRITE_ACTIONS = ['create', 'update', 'delete'] as const;

const isDiscueResource = (resource: string): resource is DiscueResource =>
  (DISCUE_RESOURCES as readonly string[]).includes(resource);

/** Without scopes, discue grants a permissive default: everything but the protected resources. */
const DEFAULT_GRANTS: readonly Grant[] = DISCUE_RESOURCES.filter(
  (resource) => !PROTECTED_RESOURCES.includes(resource),
).flatMap((resource) => [grant(resource, 'read'), grant(resource, 'write')]);

/** The grants one scope stands for. */
function grantsOfScope({ resource, access, targets = ['*'] }: ScopeRequest): Grant[] {
  if (resource === 'api_keys' && access === 'write') {
    return API_KEY_WRITE_ACTIONS.map((action) => grant(resource, action, targets));
  }
  return [grant(resource, access, targets)];
}

/** What discue shows of an access: its scopes, and the grants behind them. */
function discueView(access: Access): { scopes: Scope[]; shown: Grant[] } {
  if (!access.restricted) {
    const scopes = DISCUE_RESOURCES.flatMap((resource) => [
      { resource, access: 'read' as const, targets: ['*'] },
      { resource, access: 'write' as const, targets: ['*'] },
    ]);
    return { scopes, shown: [] };
  }
  const scopes: Scope[] = [];
  const shown: Grant[] = [];
  for (const held of access.grants) {
    if (!isDiscueResource(held.resource)) continue;
    const plain = held.action === 'read' || (held.action === 'write' && held.resource !== 'api_keys');
    if (plain) {
      scopes.push({ resource: held.resource, access: held.action as 'read' | 'write', targets: [...held.targets] });
      shown.push(held);
    }
  }
  const keyWrites = API_KEY_WRITE_ACTIONS.map((action) =>
    access.grants.find((held) => held.resource === 'api_keys' && held.action === action && held.targets.includes('*')),
  );
  if (keyWrites.every(Boolean)) {
    scopes.push({ resource: 'api_keys', access: 'write', targets: ['*'] });
    shown.push(...(keyWrites as Grant[]));
  }
  return { scopes, shown };
}

const scopesFromAccess = (access: Access): Scope[] => discueView(access).scopes;

const protectedScopeRefused = (
  scopes: readonly ScopeRequest[],
  isAllowed: (scope: ScopeRequest) => boolean,
): Err | null => {
  const issues = scopes.flatMap((scope, index) =>
    PROTECTED_RESOURCES.includes(scope.resource) && !isAllowed(scope)
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
  return issues.length > 0 ? fail('invalid', 'Protected scopes cannot be granted.', { issues }) : null;
};

/** discue scopes of a new key → grants, refusing the scopes discue forbids granting. */
export function grantsFromScopes(scopes: readonly ScopeRequest[] | undefined): Grant[] | Err {
  if (scopes === undefined) return [...DEFAULT_GRANTS];
  return protectedScopeRefused(scopes, () => false) ?? normalizeGrants(scopes.flatMap(grantsOfScope));
}

const canonical = (scopes: readonly ScopeRequest[]) =>
  JSON.stringify(
    scopes
      .map(({ resource, access, targets = ['*'] }) => `${resource}|${access}|${[...targets].sort().join(',')}`)
      .sort(),
  );

/**
 * A discue update's scopes, applied to the key's current access. Sending back the scopes
 * just read changes nothing; otherwise the scopes discue shows are replaced, what only
 * other dialects can express is kept, and protected scopes may be kept but not added.
 */
export const replaceScopes =
  (scopes: readonly ScopeRequest[]) =>
  (current: Access): Access | Err => {
    const view = discueView(current);
    if (canonical(view.scopes) === canonical(scopes)) return current;
    const shownBefore = new Set(view.scopes.map((scope) => canonical([scope])));
    const refused = protectedScopeRefused(scopes, (scope) => shownBefore.has(canonical([scope])));
    if (refused) return refused;
    const isShown = (held: Grant) => view.shown.includes(held);
    const kept = current.restricted ? current.grants.filter((held) => !isShown(held)) : [];
    return { restricted: true, grants: normalizeGrants([...kept, ...scopes.flatMap(grantsOfScope)]) };
  };

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
