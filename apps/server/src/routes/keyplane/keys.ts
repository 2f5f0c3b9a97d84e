import { z } from '@hono/zod-openapi';
import {
  type Access,
  type ApiKey,
  allowlistEntryProblem,
  formatPermissions,
  type Grant,
  MAX_ALLOWLIST_ENTRIES,
  normalizeGrants,
  parsePermission,
  UNRESTRICTED,
} from '@keyplane/core';
import {
  futureTimestamp,
  isStorableJson,
  permissionStrings,
  resourceId,
  storedText,
  timestamp,
} from '../../http/schemas.js';

/** The most a key's metadata may take, as JSON text. */
const MAX_META_BYTES = 4_096;

/** The platform's own data on a key: a JSON object of at most 4 KiB, kept as it is given. */
const Meta = z
  .record(z.string(), z.unknown())
  .refine((meta) => Buffer.byteLength(JSON.stringify(meta)) <= MAX_META_BYTES, 'At most 4 KiB of JSON.')
  .refine(isStorableJson, 'Must not contain NUL characters or unpaired surrogates.');

/** Where a key may be used from: IPv4/IPv6 addresses and CIDR ranges; `null`: anywhere. */
const IpAllowlistEntries = z
  .array(
    z
      .string()
      .max(64)
      .superRefine((entry, context) => {
        const problem = allowlistEntryProblem(entry);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
  )
  .max(MAX_ALLOWLIST_ENTRIES)
  .nullable();

/** What a key may do: a list of permissions, or `null`: unrestricted. */
const PermissionList = permissionStrings.max(50).nullable();

export const keyIdParams = z.object({ keyId: resourceId });

export const KeyRequest = z.object({
  name: storedText(255).min(1),
  applicationId: resourceId.optional(),
  permissions: PermissionList.optional(),
  enabled: z.boolean().optional(),
  expiresAt: futureTimestamp.nullable().optional(),
  meta: Meta.nullable().optional(),
  ipAllowlist: IpAllowlistEntries.optional(),
});

export const KeyUpdate = z.object({
  name: storedText(255).min(1).optional(),
  permissions: PermissionList.optional(),
  enabled: z.boolean().optional(),
  expiresAt: futureTimestamp.nullable().optional(),
  meta: Meta.nullable().optional(),
  ipAllowlist: IpAllowlistEntries.optional(),
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
  meta: z.record(z.string(), z.unknown()).nullable(),
  ipAllowlist: z.array(z.string()).nullable(),
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
    meta: key.meta === null ? null : { ...key.meta },
    ipAllowlist: key.ipAllowlist === null ? null : [...key.ipAllowlist],
  };
}
