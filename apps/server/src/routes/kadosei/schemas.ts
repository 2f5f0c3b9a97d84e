import { z } from '@hono/zod-openapi';
import { errorResponses } from '../../http/responses.js';

export const KadoseiError = z.object({
  error: z.string(),
  message: z.string(),
  code: z.number().int(),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export const kadoseiErrors = <const S extends 400 | 401 | 403 | 404>(statuses: readonly S[]) =>
  errorResponses(statuses, KadoseiError);

export const KadoseiApplication = z.object({
  id: z.uuid(),
  name: z.string(),
  isDefault: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
});
