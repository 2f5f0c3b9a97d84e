import { z } from '@hono/zod-openapi';
import {
  type Access,
  type ApiKey,
  formatPermissions,
  type Grant,
  normalizeGrants,
  parsePermission,
  UNRESTRICTED,
} from '@keyplane/core';
import { futureTimestamp, permissionStrings, resourceId, storedText, timestamp } from '../../http/schemas.js';

/** What a key may do: a list of permissions, or `null`: unrestricted. */
const PermissionList = permissionStrings.max(50).nullable();

export const keyIdParams = z.object({ keyId: resourceId });

export const KeyRequest = z.object({
  name: storedText(255).min(1),
  applicationId: resourceId.optional(),
  permissions: PermissionList.optional(),
  enabled: z.boolean().optional(),
  expiresAt: futureTimestamp.nullable().optional(),
});

export const KeyUpdate = z.object({
  name: storedText(255).min(1).optional(),
  permissions: PermissionList.optional(),
  enabled: z.boolean().optional(),
  expiresAt: futureTimestamp.nullable().optional(),
});

export const Key = z.object({
  keyId: z.uuid(),
  name: z.string(),
  applicationId: z.uuid(),
  start: z.string(),
  permissions: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  expiresAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  lastUsedAt: timestamp.nullable(),
});

/** A key's access from keyplane's permission list: `null` is unrestricted. */
export const accessOf = (permissions: readonly string[] | null): Access =>
  permissions === null
    ? UNRESTRICTED
    : { restricted: true, grants: normalizeGrants(permissions.map((text) => parsePermission(text) as Grant)) };

export function toKey(key: ApiKey): z.output<typeof Key> {
  return {
    keyId: key.id,
    name: key.name,
    applicationId: key.applicationId,
    start: key.hint,
    permissions: key.access.restricted ? formatPermissions(key.access.grants) : null,
    enabled: key.status === 'enabled',
    expiresAt: key.expiresAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    updatedAt: key.updatedAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}
