import { z } from '@hono/zod-openapi';
import { ADDED_STATUSES, errorResponses } from '../../http/responses.js';
import { resourceId, timestamp } from '../../http/schemas.js';

const KadoseiError = z.object({
  error: z.string(),
  message: z.string(),
  code: z.number().int(),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** The statuses given, and keyplane's hygiene and rate limits, which every operation may answer. */
export const kadoseiErrors = <const S extends 400 | 401 | 403 | 404>(statuses: readonly S[]) =>
  errorResponses([...statuses, ...ADDED_STATUSES, 500 as const], KadoseiError);

export const KadoseiApplication = z.object({
  id: z.uuid(),
  name: z.string(),
  isDefault: z.boolean(),
  description: z.string().nullable().optional(),
  createdAt: timestamp,
});

export const KadoseiApiKey = z.object({
  id: z.uuid(),
  applicationId: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  permissions: z.array(z.string()).nullable(),
  status: z.enum(['enabled', 'disabled']),
  createdAt: timestamp,
  expiresAt: timestamp.nullable(),
  lastUsedAt: timestamp.nullable(),
});

export const applicationId = z.object({ id: resourceId });
export const applicationKeyId = z.object({ id: resourceId, keyId: resourceId });

/** Kadosei lists answer a page at a time (keyplane's extension). */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(500).optional(),
});
