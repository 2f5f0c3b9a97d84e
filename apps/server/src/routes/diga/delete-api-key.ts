import { createRoute, z } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { digaErrors, digaKeyId, digaNotFound } from './schemas.js';

const route = createRoute({
  method: 'delete',
  path: '/v1/api_key/{id}',
  request: { params: digaKeyId },
  responses: { 200: withJson('Successful Response', z.unknown()), ...digaErrors, ...digaNotFound },
});

export const deleteApiKey = defineOperation(route, async (c) => {
  const deleted = await c.get('keyplane').deleteKey(c.get('principal'), c.req.valid('param').id);
  return deleted.ok ? { status: 200, body: {} } : deleted;
});
