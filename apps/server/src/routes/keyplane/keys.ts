import { z } from '@hono/zod-openapi';
import {
  type Access,
  type ApiKey,
  allowlistEntryProblem,
  type CreditsRequest,
  formatPermissions,
  type Grant,
  KEY_PREFIX_PATTERN,
  type KeyCredits,
  MAX_ALLOWLIST_ENTRIES,
  MAX_CREDITS,
  MAX_NAMED_LIMITS,
  type NamedRateLimit,
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

/** The platform's own data on a key or identity: a JSON object of at most 4 KiB, kept as it is given. */
export const Meta = z
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

/** A number of credits: a whole number that JSON and the store both keep exactly. */
export const CreditCount = z.number().int().min(0).max(MAX_CREDITS);

const CreditRefill = z
  .object({
    interval: z.enum(['daily', 'monthly']),
    amount: CreditCount.min(1),
    refillDay: z.number().int().min(1).max(31).nullable().optional(),
  })
  .refine((refill) => refill.interval === 'monthly' || refill.refillDay == null, {
    message: 'refillDay is taken with a monthly refill only.',
    path: ['refillDay'],
  });

/** What verifications of a key may spend, and how it comes back; `null`: unlimited. */
const Credits = z.object({ remaining: CreditCount, refill: CreditRefill.nullable().optional() }).nullable();

/** Credits as a key is given them. */
export const creditsRequest = (credits: z.output<typeof Credits>): CreditsRequest | null =>
  credits === null
    ? null
    : {
        remaining: credits.remaining,
        refill: credits.refill
          ? {
              interval: credits.refill.interval,
              amount: credits.refill.amount,
              // A monthly refill without a day happens on the 1st.
              refillDay: credits.refill.interval === 'monthly' ? (credits.refill.refillDay ?? 1) : null,
            }
          : null,
      };

/** A key's credits as keyplane shows them. */
export const ShownCredits = z.object({
  remaining: z.number().int(),
  refill: z
    .object({
      interval: z.enum(['daily', 'monthly']),
      amount: z.number().int(),
      refillDay: z.number().int().nullable(),
    })
    .nullable(),
});

export const shownCredits = (credits: KeyCredits): z.output<typeof ShownCredits> => ({
  remaining: credits.remaining,
  refill: credits.refill && { ...credits.refill },
});

/** A role's name: what keys and permission checks name it by. */
export const RoleName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'Letters, digits, and _ . : - after the first character.');

/** The platform's own id of a customer (a user, an organization of theirs). */
export const ExternalId = storedText(255).min(1);

const RoleNames = z.array(RoleName).max(50);

const NamedRateLimitRequest = z.object({
  name: RoleName,
  limit: CreditCount.min(1),
  durationMs: z.number().int().min(1_000).max(86_400_000),
  autoApply: z.boolean().optional(),
});

/** Named rate limits of a key or an identity, each name once. */
export const NamedRateLimits = z
  .array(NamedRateLimitRequest)
  .max(MAX_NAMED_LIMITS)
  .refine((limits) => new Set(limits.map((limit) => limit.name)).size === limits.length, 'Each name at most once.');

/** Named limits as a key or an identity is given them. */
export const namedLimitsOf = (limits: z.output<typeof NamedRateLimits>): NamedRateLimit[] =>
  limits.map(({ autoApply = false, ...limit }) => ({ ...limit, autoApply }));

/** Named limits as keyplane shows them. */
export const ShownNamedRateLimits = z.array(
  z.object({ name: z.string(), limit: z.number().int(), durationMs: z.number().int(), autoApply: z.boolean() }),
);

export const shownNamedLimits = (limits: readonly NamedRateLimit[]) => limits.map((limit) => ({ ...limit }));

export const KeyRequest = z.object({
  name: storedText(255).min(1),
  credits: Credits.optional(),
  ratelimits: NamedRateLimits.optional(),
  applicationId: resourceId.optional(),
  permissions: PermissionList.optional(),
  roles: RoleNames.optional(),
  externalId: ExternalId.nullable().optional(),
  prefix: z.string().regex(KEY_PREFIX_PATTERN, '1 to 16 of a-z, 0-9 and _.').optional(),
  enabled: z.boolean().optional(),
  expiresAt: futureTimestamp.nullable().optional(),
  meta: Meta.nullable().optional(),
  ipAllowlist: IpAllowlistEntries.optional(),
});

export const KeyUpdate = z.object({
  name: storedText(255).min(1).optional(),
  credits: Credits.optional(),
  ratelimits: NamedRateLimits.optional(),
  permissions: PermissionList.optional(),
  roles: RoleNames.nullable().optional(),
  externalId: ExternalId.nullable().optional(),
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
  roles: z.array(z.string()),
  identity: z
    .object({ identityId: z.uuid(), externalId: z.string(), meta: z.record(z.string(), z.unknown()).nullable() })
    .nullable(),
  credits: ShownCredits.nullable(),
  ratelimits: ShownNamedRateLimits,
});

/** A key's identity as keyplane shows it. */
export const identityOf = (key: ApiKey) =>
  key.identity === null
    ? null
    : {
        identityId: key.identity.id,
        externalId: key.identity.externalId,
        meta: key.identity.meta === null ? null : { ...key.identity.meta },
      };

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
    roles: key.roles.map((role) => role.name),
    identity: identityOf(key),
    credits: key.credits && shownCredits(key.credits),
    ratelimits: shownNamedLimits(key.ratelimits),
  };
}
