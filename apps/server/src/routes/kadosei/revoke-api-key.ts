import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { applicationKeyId, kadoseiErrors } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/api/v1/applications/{id}/api-keys/{keyId}',
  request: { params: applicationKeyId },
  responses: {
    200: withJson('The key is revoked.', z.record(z.string(), z.never())),
    ...kadoseiErrors([400, 401, 403, 404]),
  },
});

/** Revocation is immediate; a key asked for under another application is not found. */
export const revokeApiKey = defineOperation(route, async (c) => {
  const { id, keyId } = c.req.valid('param');
  const deleted = await c.get('keyplane').deleteKey(c.get('principal'), keyId, id);
  return deleted.ok ? { status: 200, body: {} } : deleted;
});
