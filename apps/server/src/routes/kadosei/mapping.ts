import type { z } from '@hono/zod-openapi';
import { type ApiKey, type Application, formatPermissions } from '@keyplane/core';
import type { KadoseiApiKey, KadoseiApplication } from './schemas.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const toKadoseiApplication = (application: Application): z.output<typeof KadoseiApplication> => ({
  id: application.id,
  name: application.name,
  isDefault: application.isDefault,
  description: application.description,
  createdAt: application.createdAt.toISOString(),
});

export const toKadoseiKey = (key: ApiKey): z.output<typeof KadoseiApiKey> => ({
  id: key.id,
  applicationId: key.applicationId,
  name: key.name,
  prefix: key.hint,
  permissions: key.access.restricted ? formatPermissions(key.access.grants) : null,
  status: key.status,
  createdAt: key.createdAt.toISOString(),
  expiresAt: iso(key.expiresAt),
  lastUsedAt: iso(key.lastUsedAt),
});
