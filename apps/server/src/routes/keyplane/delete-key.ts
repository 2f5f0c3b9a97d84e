import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { keyIdParams } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/v1/keys/{keyId}',
  request: { params: keyIdParams },
  responses: { 204: { description: 'The key was deleted.' }, ...problems([400, 401, 403, 404]) },
});

export const deleteKey = defineOperation(route, async (c) => {
  const deleted = await c.get('keyplane').deleteKey(c.get('principal'), c.req.valid('param').keyId);
  return deleted.ok ? { status: 204 } : deleted;
});
