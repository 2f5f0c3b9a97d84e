import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { toKadoseiKey } from './mapping.js';
import { applicationKeyId, KadoseiApiKey, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/api/v1/applications/{id}/api-keys/{keyId}',
  request: { params: applicationKeyId },
  responses: { 200: withJson('The key.', KadoseiApiKey), ...kadoseiErrors([400, 401, 403, 404]) },
});

/** A key asked for under another application is not found. */
export const getApiKey = defineOperation(route, async (c) => {
  const { id, keyId } = c.req.valid('param');
  const found = await c.get('keyplane').getKey(c.get('principal'), keyId, id);
  return found.ok ? { status: 200, body: toKadoseiKey(found.value) } : found;
});
