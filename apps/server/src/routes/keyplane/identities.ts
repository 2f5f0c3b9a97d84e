import { z } from '@hono/zod-openapi';
import type { Identity } from '@keyplane/core';
import { canonicalClientId, storedText, timestamp } from '../../http/schemas.js';
import { ExternalId, Meta, NamedRateLimits, ShownNamedRateLimits, shownNamedLimits } from './keys.js';

/** An identity by its id or its external id. */
export const identityParams = z.object({ identity: storedText(255).min(1).transform(canonicalClientId) });

export const IdentityRequest = z.object({
  externalId: ExternalId,
  meta: Meta.nullable().optional(),
  ratelimits: NamedRateLimits.optional(),
});

export const IdentityUpdate = z.object({
  externalId: ExternalId.optional(),
  meta: Meta.nullable().optional(),
  ratelimits: NamedRateLimits.optional(),
});

export const IdentityBody = z.object({
  identityId: z.uuid(),
  externalId: z.string(),
  meta: z.record(z.string(), z.unknown()).nullable(),
  ratelimits: ShownNamedRateLimits,
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const toIdentity = (identity: Identity): z.output<typeof IdentityBody> => ({
  identityId: identity.id,
  externalId: identity.externalId,
  meta: identity.meta === null ? null : { ...identity.meta },
  ratelimits: shownNamedLimits(identity.ratelimits),
  createdAt: identity.createdAt.toISOString(),
  updatedAt: identity.updatedAt.toISOString(),
});
