import { createRoute } from '@hono/zod-openapi';
import { defineOperation } from '../../http/operation.js';
import { withJson } from '../../http/responses.js';
import { Key, keyIdParams, toKey } from './keys.js';
import { problems } from './schemas.js';

const route = createRoute({
  method: 'get',
  path: '/v1/keys/{keyId}',
  request: { params: keyIdParams },
  responses: { 200: withJson('The key.', Key), ...problems([400, 401, 403, 404]) },
});

export const getKey = defineOperation(route, async (c) => {
  const found = await c.get('keyplane').getKey(c.get('principal'), c.req.valid('param').keyId);
  return found.ok ? { status: 200, body: toKey(found.value) } : found;
});
