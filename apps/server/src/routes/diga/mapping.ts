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
  UNRESTRICTED,
} from '@keyplane/core';
import { DIGA_PERMISSIONS, type DigaPermissionName, type DigaRedactedApiKeyResponseSchema } from './schemas.js';

const KNOWN = new Set<string>(DIGA_PERMISSIONS);

/** diga calls reading its keys `api_keys.view`; keyplane calls it `api_keys.read`. */
function grantOf(permission: DigaPermissionName): Grant {
  const [resource = '', action = ''] = permission.split('.');
  return grant(resource, resource === 'api_keys' && action === 'view' ? 'read' : action);
}

function permissionOf(held: Grant): DigaPermissionName | null {
  if (!held.targets.includes('*')) return null;
  // keyplane enforces its own actions only: `api_keys.view` is shown for `read` alone.
  if (held.resource === 'api_keys' && held.action === 'view') return null;
  const action = held.resource === 'api_keys' && held.action === 'read' ? 'view' : held.action;
  const name = `${held.resource}.${action}`;
  return KNOWN.has(name) ? (name as DigaPermissionName) : null;
}

const isVisibleToDiga = (held: Grant) => permissionOf(held) !== null;

/** What diga shows of a key's access: unrestricted, or the permissions it has words for. */
function digaAccess(access: Access): { restricted: boolean; permissions: DigaPermissionName[] | null } {
  if (!access.restricted) return { restricted: false, permissions: null };
  const names = access.grants.map(permissionOf).filter((name): name is DigaPermissionName => name !== null);
  return { restricted: true, permissions: [...new Set(names)].sort() };
}

const unrestrictedWithPermissions = (): Err =>
  fail('invalid', 'An unrestricted key has no permission list.', {
    issues: [
      {
        location: 'body',
        path: ['permissions'],
        message: 'Do not include permissions for an unrestricted key (restricted: false).',
        code: 'value_error',
      },
    ],
  });

/** A new key's access from diga's `restricted` and `permissions`. */
export function accessFromDiga(
  restricted: boolean,
  permissions: DigaPermissionName[] | null | undefined,
): Access | Err {
  if (!restricted) return permissions?.length ? unrestrictedWithPermissions() : UNRESTRICTED;
  return { restricted: true, grants: normalizeGrants((permissions ?? []).map(grantOf)) };
}

/**
 * A diga update of `restricted`/`permissions`, applied to the key's current access: the
 * permission list replaces what diga can see and keeps what other dialects granted.
 */
export function updateAccess(
  restricted: boolean | undefined,
  permissions: DigaPermissionName[] | null | undefined,
): ((current: Access) => Access | Err) | undefined {
  if (restricted === undefined && permissions === undefined) return undefined;
  return (current) => {
    const willBeRestricted = restricted ?? current.restricted;
    if (!willBeRestricted) return permissions?.length ? unrestrictedWithPermissions() : UNRESTRICTED;
    if (permissions === undefined) return current.restricted ? current : { restricted: true, grants: [] };
    return replaceVisibleGrants(current, isVisibleToDiga, (permissions ?? []).map(grantOf));
  };
}

export function toDigaKey(key: ApiKey): z.output<typeof DigaRedactedApiKeyResponseSchema> {
  const { restricted, permissions } = digaAccess(key.access);
  return {
    id: key.id,
    name: key.name,
    created_date: key.createdAt.toISOString(),
    last_four_digits: key.lastFour,
    // The root credential is no key: its keys name their organization as creator.
    creator_id: key.createdBy ?? key.organizationId,
    permissions,
    restricted,
  };
}
