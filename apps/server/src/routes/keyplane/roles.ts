import { z } from '@hono/zod-openapi';
import { formatPermissions, type Grant, parsePermission, type Role } from '@keyplane/core';
import { canonicalClientId, permissionStrings, storedText, timestamp } from '../../http/schemas.js';
import { RoleName } from './keys.js';

/** A role by its id or its name. */
export const roleParams = z.object({ role: storedText(255).min(1).transform(canonicalClientId) });

export const RolePermissions = permissionStrings.max(100);

export const RoleRequest = z.object({ name: RoleName, permissions: RolePermissions });

export const RoleUpdate = z.object({ name: RoleName.optional(), permissions: RolePermissions.optional() });

export const RoleBody = z.object({
  roleId: z.uuid(),
  name: z.string(),
  permissions: z.array(z.string()),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const grantsOf = (permissions: readonly string[]): Grant[] =>
  permissions.map((text) => parsePermission(text) as Grant);

export const toRole = (role: Role): z.output<typeof RoleBody> => ({
  roleId: role.id,
  name: role.name,
  permissions: formatPermissions(role.grants),
  createdAt: role.createdAt.toISOString(),
  updatedAt: role.updatedAt.toISOString(),
});
